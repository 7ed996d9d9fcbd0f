import type { EngineEvents } from '../observability/events.js';
import { and, eq } from 'drizzle-orm';
import type { Actor } from '../shared/roles.js';
import type { Database } from '../db/client.js';
import { badRequest, notFound } from '../shared/errors.js';
import { timestampSort } from '../shared/keyset.js';
import type { Page, PageQuery } from '../shared/pagination.js';
import { keysetPage } from '../shared/keyset.js';
import { supportTickets, TICKET_STATUSES } from './schema.js';
import type { TicketPriority } from './enums.js';

export { TICKET_PRIORITIES, type TicketPriority } from './enums.js';

export { TICKET_STATUSES };
export type TicketStatus = (typeof TICKET_STATUSES)[number];
/** A ticket row with its priority typed (the column is text; only this module writes it). */
export type TicketRow = Omit<typeof supportTickets.$inferSelect, 'priority'> & { priority: TicketPriority };
const view = (row: typeof supportTickets.$inferSelect): TicketRow => ({ ...row, priority: row.priority as TicketPriority });

export interface NewTicket {
  subject: string;
  description?: string;
  /** Default normal. */
  priority?: TicketPriority;
  requester?: Record<string, unknown>;
  agentId?: string | null;
  runId?: string | null;
  /** With runId: the tool call opening it. A second create with the same pair answers the first ticket. */
  toolCallId?: string | null;
}

/** Support tickets: opened by agents (`create_support_ticket`), worked on by members. */
export class Tickets {
  constructor(
    private readonly database: Database,
    /** Told of each ticket opened (`ticket:created`, once it is committed). */
    private readonly events?: EngineEvents,
  ) {}

  /** Opens a ticket; the same (runId, toolCallId) twice opens one ticket and answers it both times. */
  async create(orgId: string, input: NewTicket): Promise<TicketRow> {
    let opened = false;
    const row = await this.database.withOrg(orgId, async (tx) => {
      const [created] = await tx
        .insert(supportTickets)
        .values({
          orgId,
          subject: input.subject,
          description: input.description ?? '',
          priority: input.priority ?? 'normal',
          requester: input.requester ?? {},
          agentId: input.agentId ?? null,
          runId: input.runId ?? null,
          toolCallId: input.runId ? (input.toolCallId ?? null) : null,
        })
        .onConflictDoNothing({ target: [supportTickets.runId, supportTickets.toolCallId] })
        .returning();
      opened = Boolean(created);
      if (created) return created;
      const [first] = await tx
        .select()
        .from(supportTickets)
        .where(and(eq(supportTickets.orgId, orgId), eq(supportTickets.runId, input.runId!), eq(supportTickets.toolCallId, input.toolCallId!)));
      return first!;
    });
    if (opened) this.events?.emit('ticket:created', { orgId, ticketId: row.id, subject: row.subject, priority: row.priority, agentId: row.agentId, runId: row.runId, at: new Date() });
    return view(row);
  }

  /** Newest first by default. */
  async list(actor: Actor, q: PageQuery & { status?: TicketStatus; priority?: TicketPriority }): Promise<Page<TicketRow>> {
    const where = and(
      eq(supportTickets.orgId, actor.orgId),
      q.status ? eq(supportTickets.status, q.status) : undefined,
      q.priority ? eq(supportTickets.priority, q.priority) : undefined,
    );
    const spec = { table: supportTickets, id: supportTickets.id, sort: timestampSort(supportTickets.createdAt), sortName: 'tickets', where };
    return this.database.withOrg(actor.orgId, (tx) => keysetPage(tx, spec, q, view));
  }

  async get(actor: Actor, id: string): Promise<TicketRow> {
    const [row] = await this.database.withOrg(actor.orgId, (tx) =>
      tx.select().from(supportTickets).where(and(eq(supportTickets.orgId, actor.orgId), eq(supportTickets.id, id))),
    );
    if (!row) throw notFound('Ticket');
    return view(row);
  }

  /** Changes status and/or priority; any status may follow any other (people reopen tickets). */
  async update(actor: Actor, id: string, patch: { status?: TicketStatus; priority?: TicketPriority }): Promise<TicketRow> {
    if (patch.status === undefined && patch.priority === undefined) {
      throw badRequest('Give status or priority to change', [{ path: 'body', message: 'needs status or priority' }]);
    }
    const [row] = await this.database.withOrg(actor.orgId, (tx) =>
      tx
        .update(supportTickets)
        .set({ ...patch, updatedAt: new Date() })
        .where(and(eq(supportTickets.orgId, actor.orgId), eq(supportTickets.id, id)))
        .returning(),
    );
    if (!row) throw notFound('Ticket');
    return view(row);
  }
}
