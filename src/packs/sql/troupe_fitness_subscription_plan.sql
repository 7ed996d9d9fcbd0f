-- Current definition of troupe_fitness_subscription_plan (decision 64): edit it here, the migrator applies it.
-- Earlier texts: migrations 0028_fitness_payment_rollups.
-- A subscription moved to another plan takes its payments along (their rollup rows follow).
CREATE OR REPLACE FUNCTION public.troupe_fitness_subscription_plan()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
BEGIN
  UPDATE fitness_payments SET plan_id = NEW.plan_id
  WHERE subscription_id = NEW.id AND org_id = NEW.org_id AND plan_id IS DISTINCT FROM NEW.plan_id;
  RETURN NULL;
END $function$
