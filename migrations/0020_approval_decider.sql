-- Who decided an approval: `decided_by` names a user; a decision made with an API key (no user)
-- left no trace on the row, so the approval card could not say who decided. The key's id goes
-- here (the key's name is shown; a deleted key leaves null, as a deleted user does).
ALTER TABLE "approvals" ADD COLUMN IF NOT EXISTS "decided_by_api_key_id" uuid;
