import { and, eq, isNull, or, sql, type SQL } from 'drizzle-orm';
import type { Actor } from '../shared/roles.js';
import type { Database, Tx } from '../db/client.js';
import { notFound } from '../shared/errors.js';
import { timestampSort } from '../shared/keyset.js';
import type { Page, PageQuery } from '../shared/pagination.js';
import { keysetPage } from '../shared/keyset.js';
import { notifications } from './schema.js';
import type { NotificationLevel } from './enums.js';

export { NOTIFICATION_LEVELS, type NotificationLevel } from './enums.js';

/** A notification row with its level typed (the column is text; only this module writes it). */
export type NotificationRow = Omit<typeof notifications.$inferSelect, 'level'> & { level: NotificationLevel };
const view = (row: typeof notifications.$inferSelect): NotificationRow => ({ ...row, level: row.level as NotificationLevel });

export interface NewNotification {
  /** One member; null or absent = everyone in the organization. */
  userId?: string | null;
  title: string;
  body?: string;
  /** Default info. */
  level?: NotificationLevel;
  data?: Record<string, unknown>;
  runId?: string | null;
}

/**
 * Writes notifications inside the caller's transaction (a budget alert is written with the spend
 * that raised it): the one way other modules add them.
 */
export async function insertNotifications(tx: Tx, orgId: string, inputs: NewNotification[]): Promise<NotificationRow[]> {
  if (inputs.length === 0) return [];
  const rows = await tx
    .insert(notifications)
    .values(
      inputs.map((input) => ({
        orgId,
        userId: input.userId ?? null,
        title: input.title,
        body: input.body ?? '',
        level: input.level ?? 'info',
        data: input.data ?? {},
        runId: input.runId ?? null,
      })),
    )
    .returning();
  return rows.map(view);
}

/** Whether any notification of the organization carries `data[key] = value` (e.g. one approval's notices were written already). */
export async function notifiedAbout(tx: Tx, orgId: string, key: string, value: string): Promise<boolean> {
  const [row] = await tx
    .select({ id: notifications.id })
    .from(notifications)
    .where(and(eq(notifications.orgId, orgId), sql`${notifications.data}->>${key} = ${value}`))
    .limit(1);
  return row !== undefined;
}

/**
 * What an actor sees: notifications for everyone, plus their own. API keys act for nobody in
 * particular, so they see only the ones for everyone.
 */
export const visibleTo = (actor: Actor): SQL =>
  and(eq(notifications.orgId, actor.orgId), actor.userId ? or(isNull(notifications.userId), eq(notifications.userId, actor.userId)) : isNull(notifications.userId))!;

/**
 * In-app notifications for staff. Read state is the row's `readAt`: private to its user for a
 * personal notification, shared by the whole organization for one addressed to everyone (the
 * first person to read it marks it read for all; see docs/tools.md).
 */
export class Notifications {
  constructor(private readonly database: Database) {}

  async create(orgId: string, input: NewNotification): Promise<NotificationRow> {
    const [row] = await this.database.withOrg(orgId, (tx) => insertNotifications(tx, orgId, [input]));
    return row!;
  }

  /** Several notifications in one statement (one per approver of a tool call, say); none: nothing written. */
  async createMany(orgId: string, inputs: NewNotification[]): Promise<NotificationRow[]> {
    if (inputs.length === 0) return [];
    return this.database.withOrg(orgId, (tx) => insertNotifications(tx, orgId, inputs));
  }

  /** Newest first by default; `unread` keeps the unread ones only. */
  async list(actor: Actor, q: PageQuery & { unread?: boolean; level?: NotificationLevel }): Promise<Page<NotificationRow>> {
    const where = and(visibleTo(actor), q.unread ? isNull(notifications.readAt) : undefined, q.level ? eq(notifications.level, q.level) : undefined);
    const spec = { table: notifications, id: notifications.id, sort: timestampSort(notifications.createdAt), sortName: 'notifications', where };
    return this.database.withOrg(actor.orgId, (tx) => keysetPage(tx, spec, q, view));
  }

  /** Marks one read (again is harmless: the first time stays). Another user's or org's: 404. */
  async markRead(actor: Actor, id: string): Promise<NotificationRow> {
    const [row] = await this.database.withOrg(actor.orgId, (tx) =>
      tx
        .update(notifications)
        .set({ readAt: sql`coalesce(${notifications.readAt}, now())` })
        .where(and(visibleTo(actor), eq(notifications.id, id)))
        .returning(),
    );
    if (!row) throw notFound('Notification');
    return view(row);
  }

  /** Marks every unread notification the actor sees as read; returns how many changed. */
  async markAllRead(actor: Actor): Promise<{ updated: number }> {
    const rows = await this.database.withOrg(actor.orgId, (tx) =>
      tx
        .update(notifications)
        .set({ readAt: sql`now()` })
        .where(and(visibleTo(actor), isNull(notifications.readAt)))
        .returning({ id: notifications.id }),
    );
    return { updated: rows.length };
  }
}
