import { randomBytes } from 'node:crypto';
import { and, desc, eq, sql } from 'drizzle-orm';
import type { AgentService } from '../agents/service.js';
import type { Database } from '../db/client.js';
import { AppError, badRequest, isUniqueViolation, notFound } from '../shared/errors.js';
import { UUID_RE } from '../shared/ids.js';
import type { Actor } from '../shared/roles.js';
import { PUBLIC_KEY_RE, type CreatePublicationInput, type UpdatePublicationInput } from './dto.js';
import { chatPublications } from './schema.js';

export type PublicationRow = typeof chatPublications.$inferSelect;
export type PublicationView = PublicationRow & { chatUrl: string; embedCode: string };

const newPublicKey = () => `pk_${randomBytes(24).toString('base64url')}`;

/**
 * Chat publications: an organization's agents published as a website widget and a public chat
 * page (docs/widget.md). Admins manage them in their organization; the public side finds one by
 * its public key alone (`byPublicKey`, past row-level security, as API keys are looked up).
 */
export class PublicationService {
  constructor(
    private readonly database: Database,
    private readonly agents: Pick<AgentService, 'get'>,
    /** The URL people reach Troupe at (TROUPE_PUBLIC_URL): the chat page's and the widget's address. */
    private readonly publicUrl: string,
  ) {}

  view(row: PublicationRow): PublicationView {
    return {
      ...row,
      chatUrl: `${this.publicUrl}/chat/${row.publicKey}`,
      embedCode: `<script src="${this.publicUrl}/widget.js" data-key="${row.publicKey}" async></script>`,
    };
  }

  async list(actor: Actor): Promise<PublicationView[]> {
    const rows = await this.database.readOrg(actor.orgId, (tx) =>
      tx.select().from(chatPublications).where(eq(chatPublications.orgId, actor.orgId)).orderBy(desc(chatPublications.createdAt)).limit(500),
    );
    return rows.map((r) => this.view(r));
  }

  async get(actor: Actor, id: string): Promise<PublicationView> {
    return this.view(await this.load(actor, id));
  }

  /** Publishes one of the organization's agents (400 naming body.agentId otherwise) under a new public key. */
  async create(actor: Actor, input: CreatePublicationInput): Promise<PublicationView> {
    let agentName: string;
    try {
      agentName = (await this.agents.get(actor, input.agentId)).name;
    } catch (err) {
      if (err instanceof AppError && err.status === 404) {
        throw badRequest('agentId is not an agent of this organization', [{ path: 'body.agentId', message: 'no such agent in this organization' }]);
      }
      throw err;
    }
    for (let attempt = 0; ; attempt++) {
      try {
        const [row] = await this.database.withOrg(actor.orgId, (tx) =>
          tx
            .insert(chatPublications)
            .values({ ...input, title: input.title ?? agentName, orgId: actor.orgId, publicKey: newPublicKey(), createdBy: actor.userId })
            .returning(),
        );
        return this.view(row!);
      } catch (err) {
        // 192 random bits do not collide; the loop only keeps the unique index's meaning honest.
        if (attempt < 2 && isUniqueViolation(err)) continue;
        throw err;
      }
    }
  }

  async update(actor: Actor, id: string, patch: UpdatePublicationInput): Promise<PublicationView> {
    const current = await this.load(actor, id);
    if (Object.keys(patch).length === 0) return this.view(current);
    const [row] = await this.database.withOrg(actor.orgId, (tx) =>
      tx
        .update(chatPublications)
        .set({ ...patch, updatedAt: sql`now()` })
        .where(and(eq(chatPublications.orgId, actor.orgId), eq(chatPublications.id, current.id)))
        .returning(),
    );
    if (!row) throw notFound('Chat publication');
    return this.view(row);
  }

  /** Unpublishes: the key stops working at once. Visitors' conversations stay (staff still see them). */
  async remove(actor: Actor, id: string): Promise<void> {
    const current = await this.load(actor, id);
    await this.database.withOrg(actor.orgId, (tx) => tx.delete(chatPublications).where(and(eq(chatPublications.orgId, actor.orgId), eq(chatPublications.id, current.id))));
  }

  /** The enabled publication with this public key, whatever its organization; null otherwise (unknown, malformed or disabled). */
  async byPublicKey(publicKey: string): Promise<PublicationRow | null> {
    if (!PUBLIC_KEY_RE.test(publicKey)) return null;
    const [row] = await this.database.system((tx) => tx.select().from(chatPublications).where(eq(chatPublications.publicKey, publicKey)));
    return row && row.enabled ? row : null;
  }

  private async load(actor: Actor, id: string): Promise<PublicationRow> {
    if (!UUID_RE.test(id)) throw notFound('Chat publication');
    const [row] = await this.database.readOrg(actor.orgId, (tx) =>
      tx.select().from(chatPublications).where(and(eq(chatPublications.orgId, actor.orgId), eq(chatPublications.id, id))),
    );
    if (!row) throw notFound('Chat publication');
    return row;
  }
}
