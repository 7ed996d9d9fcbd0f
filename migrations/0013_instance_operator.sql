ALTER TABLE "users" ADD COLUMN "is_operator" boolean DEFAULT false NOT NULL;--> statement-breakpoint
-- The first owner runs the install (decision 32): the owner of the oldest organization, or,
-- without any owner, the earliest user. Nobody is marked on an empty install; setup does it.
UPDATE "users" SET "is_operator" = true
WHERE "id" = coalesce(
  (SELECT m."user_id" FROM "memberships" m JOIN "organizations" o ON o."id" = m."org_id"
   WHERE m."role" = 'owner' ORDER BY o."created_at", o."id", m."created_at", m."user_id" LIMIT 1),
  (SELECT u."id" FROM "users" u ORDER BY u."created_at", u."id" LIMIT 1)
);
