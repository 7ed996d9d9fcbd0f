-- Current definition of troupe_fitness_payment_plan (decision 64): edit it here, the migrator applies it.
-- Earlier texts: migrations 0028_fitness_payment_rollups.
-- A payment's plan_id is its subscription's plan (null without one), kept on the row so the
-- daily rollup (troupe_fitness_payment_days) reads only the payment's own columns.
CREATE OR REPLACE FUNCTION public.troupe_fitness_payment_plan()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
BEGIN
  IF NEW.subscription_id IS NULL THEN
    NEW.plan_id := NULL;
  ELSE
    NEW.plan_id := (SELECT plan_id FROM fitness_subscriptions WHERE id = NEW.subscription_id);
  END IF;
  RETURN NEW;
END $function$
