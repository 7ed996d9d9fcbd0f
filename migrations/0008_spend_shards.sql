-- monthly_spend had one row per organization, agent and month, updated by every model call of the
-- agent: concurrent runs of one agent queued on its row lock, which each write batch holds from
-- its first ledger row to its commit. Writers now spread over 16 rows (by backend process);
-- readers (troupe_spend) already sum the rows of a month.
ALTER TABLE "monthly_spend" ADD COLUMN "shard" smallint DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "monthly_spend" DROP CONSTRAINT "monthly_spend_org_id_month_agent_id_pk";--> statement-breakpoint
ALTER TABLE "monthly_spend" ADD CONSTRAINT "monthly_spend_org_id_month_agent_id_shard_pk" PRIMARY KEY("org_id","month","agent_id","shard");--> statement-breakpoint
CREATE OR REPLACE FUNCTION troupe_count_spend() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO monthly_spend AS s (org_id, month, agent_id, shard, billed_micros)
  VALUES (NEW.org_id, to_char(NEW.created_at AT TIME ZONE 'UTC', 'YYYY-MM'), NEW.agent_id, pg_backend_pid() % 16, NEW.billed_cost_micros)
  ON CONFLICT (org_id, month, agent_id, shard) DO UPDATE SET billed_micros = s.billed_micros + EXCLUDED.billed_micros;
  RETURN NULL;
END $$;
