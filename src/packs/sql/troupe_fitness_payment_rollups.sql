-- Current definition of troupe_fitness_payment_rollups (decision 64): edit it here, the migrator applies it.
-- Earlier texts: migrations 0028_fitness_payment_rollups.
-- Keeps two rollups equal to the payments: fitness_payment_days (grouped by UTC day, currency,
-- status, method, failure reason and plan) and fitness_contact_revenue (each contact's collected
-- net by currency): each statement's rows added (new_rows) and taken away (old_rows), in key order
-- (so two writers lock rollup rows in the same order), skipping keys whose figures net to zero.
-- An organization or a contact being deleted is skipped: its rollup rows go with it (foreign
-- keys), and a row written for it meanwhile would fail that key. The two statements are built
-- once for the three events: a transition table exists only for the events that have it.
CREATE OR REPLACE FUNCTION public.troupe_fitness_payment_rollups()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
DECLARE
  plus CONSTANT text := 'SELECT org_id, (paid_at AT TIME ZONE ''UTC'')::date AS day, contact_id, currency, status, method, failure_reason, plan_id, 1 AS n, amount_micros AS amount, refunded_micros AS refunded FROM new_rows';
  minus CONSTANT text := 'SELECT org_id, (paid_at AT TIME ZONE ''UTC'')::date AS day, contact_id, currency, status, method, failure_reason, plan_id, -1 AS n, -amount_micros AS amount, -refunded_micros AS refunded FROM old_rows';
  changes text;
BEGIN
  -- The rows this statement added and took away (a transition table exists only for its events).
  changes := CASE TG_OP WHEN 'INSERT' THEN plus WHEN 'DELETE' THEN minus ELSE plus || ' UNION ALL ' || minus END;
  EXECUTE format($q$
    INSERT INTO fitness_payment_days AS d (org_id, day, currency, status, method, failure_reason, plan_id, payments, amount_micros, refunded_micros)
    SELECT org_id, day, currency, status, method, failure_reason, plan_id, sum(n), sum(amount), sum(refunded)
    FROM (%s) c
    WHERE org_id IN (SELECT id FROM organizations)
    GROUP BY 1, 2, 3, 4, 5, 6, 7
    HAVING sum(n) <> 0 OR sum(amount) <> 0 OR sum(refunded) <> 0
    ORDER BY 1, 2, 3, 4, 5, 6, 7
    ON CONFLICT (org_id, day, currency, status, method, failure_reason, plan_id) DO UPDATE
      SET payments = d.payments + excluded.payments, amount_micros = d.amount_micros + excluded.amount_micros, refunded_micros = d.refunded_micros + excluded.refunded_micros$q$, changes);
  -- Each contact's collected net (succeeded, partially refunded, refunded: amount - refunded).
  EXECUTE format($q$
    INSERT INTO fitness_contact_revenue AS r (org_id, contact_id, currency, net_micros, payments)
    SELECT org_id, contact_id, currency, sum(amount - refunded), sum(n)
    FROM (%s) c
    WHERE status IN ('succeeded', 'partially_refunded', 'refunded') AND contact_id IN (SELECT id FROM fitness_contacts)
    GROUP BY 1, 2, 3
    HAVING sum(amount - refunded) <> 0 OR sum(n) <> 0
    ORDER BY 1, 2, 3
    ON CONFLICT (contact_id, currency) DO UPDATE
      SET net_micros = r.net_micros + excluded.net_micros, payments = r.payments + excluded.payments$q$, changes);
  RETURN NULL;
END $function$
