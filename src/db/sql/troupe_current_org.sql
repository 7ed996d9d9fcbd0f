-- Current definition of troupe_current_org (decision 50): edit it here, the migrator applies it.
-- Earlier texts: migrations 0001_tenancy.
CREATE OR REPLACE FUNCTION public.troupe_current_org()
 RETURNS uuid
 LANGUAGE sql
 STABLE
AS $function$ SELECT nullif(current_setting('app.org_id', true), '')::uuid $function$
