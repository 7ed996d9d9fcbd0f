import { and, eq } from 'drizzle-orm';
import type { Tx } from '../db/client.js';
import { conversations } from './schema.js';

/** The person a conversation belongs to (null: none, e.g. started with an API key), inside the caller's transaction; undefined when it does not exist. */
export async function conversationOwner(tx: Tx, orgId: string, id: string): Promise<string | null | undefined> {
  const [row] = await tx
    .select({ userId: conversations.userId })
    .from(conversations)
    .where(and(eq(conversations.orgId, orgId), eq(conversations.id, id)));
  return row ? row.userId : undefined;
}
