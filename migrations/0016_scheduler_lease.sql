-- The scheduler leader holds a lease in this row instead of a session advisory lock (decision 39):
-- a leader renews expires_at with every pass, in the transaction that claims fires; a follower
-- takes the row over once expires_at has passed, so a frozen leader no longer stops every schedule.
-- An existing row (written by an older version) is lapsed at once.
ALTER TABLE "scheduler_leader" ADD COLUMN "expires_at" timestamp with time zone DEFAULT now() NOT NULL;
