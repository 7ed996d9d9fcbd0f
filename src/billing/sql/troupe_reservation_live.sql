-- Current definition of troupe_reservation_live (decision 50): edit it here, the migrator applies it.
-- Earlier texts: migrations 0015_budget_reservations.
CREATE OR REPLACE FUNCTION public.troupe_reservation_live(r budget_reservations)
 RETURNS boolean
 LANGUAGE sql
 STABLE
AS $function$
  SELECT EXISTS (SELECT 1 FROM runs u WHERE u.id = r.run_id AND u.org_id = r.org_id AND u.generation = r.generation AND u.lease_expires_at > now())
    AND NOT EXISTS (SELECT 1 FROM run_steps s WHERE s.run_id = r.run_id AND s.org_id = r.org_id AND s.step_key = r.step_key AND s.status <> 'started')
$function$
