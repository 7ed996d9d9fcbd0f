import { sql } from 'drizzle-orm';
import { boolean, check, index, integer, pgTable, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { agents } from '../agents/schema.js';
import { createdAt, id, orgId, updatedAt } from '../db/columns.js';

/**
 * An agent an organization publishes to the public: a website widget (`/widget.js` with the
 * public key) and a public chat page (`/chat/<public key>`). The key reaches that agent and
 * nothing else (docs/widget.md).
 */
export const chatPublications = pgTable(
  'chat_publications',
  {
    id: id(),
    orgId: orgId(),
    agentId: uuid('agent_id')
      .notNull()
      .references(() => agents.id, { onDelete: 'cascade' }),
    /** `pk_` and 32 random base64url characters; public, unique across the install. */
    publicKey: text('public_key').notNull(),
    /** Exact origins (`https://gym.example`) whose pages may use the widget; empty: any. */
    allowedOrigins: text('allowed_origins').array().notNull().default(sql`'{}'::text[]`),
    /** Messages one visitor may send per rolling minute and per rolling day. */
    messagesPerMinute: integer('messages_per_minute').notNull().default(10),
    messagesPerDay: integer('messages_per_day').notNull().default(200),
    enabled: boolean('enabled').notNull().default(true),
    title: text('title').notNull(),
    greeting: text('greeting').notNull().default(''),
    /** `#rrggbb`. */
    themeColor: text('theme_color').notNull().default('#2563eb'),
    createdBy: uuid('created_by'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex('chat_publications_public_key_key').on(t.publicKey),
    index('chat_publications_org_idx').on(t.orgId, t.createdAt),
    check('chat_publications_limits_check', sql`${t.messagesPerMinute} >= 1 and ${t.messagesPerDay} >= 1`),
  ],
);
