import { and, count, eq, gte, inArray, lte, sql, type SQL } from 'drizzle-orm';
import type { PgColumn, PgTable } from 'drizzle-orm/pg-core';
import type { Database, Tx } from '../../../db/client.js';
import { AppError, badRequest, notFound, type FieldError } from '../../../shared/errors.js';
import { UUID_RE } from '../../../shared/ids.js';
import { keysetAfter, keysetOrder, toPage, type KeysetSort } from '../../../shared/keyset.js';
import { assertOneOfOffsetCursor, type Page, type PageQuery } from '../../../shared/pagination.js';
import type { Actor } from '../../../shared/roles.js';

/**
 * One CRUD engine for the CRM's entities. A resource says how its rows are listed (filters,
 * sorts, the time that `from`/`to` bound), which body fields point at other rows (checked to be
 * the organization's), how a body becomes a row, and its own rules in four hooks, called in this
 * order on every write: `complete` (fill what comes from other rows: a plan's price, a session's
 * start), `check` (rules on the whole row, pure), `guard` (rules that read the database: a
 * session's places), then `after` (keep other rows in step: a contact's last visit).
 * Every call runs in `withOrg(orgId)` and filters on org_id too; another organization's row is
 * simply not found.
 */

export type Values = Record<string, unknown>;
export type CrudTable = PgTable & { id: PgColumn; orgId: PgColumn };

/** A body field that names another row of the CRM (checked to exist in the organization). */
export interface Reference {
  table: CrudTable;
  /** In messages: "no contact with this id in this organization". */
  label: string;
}

export interface ListParams extends PageQuery {
  sortBy: string;
  from?: Date;
  to?: Date;
}

export interface ResourceDef<T extends CrudTable, V, Q extends ListParams = ListParams> {
  /** Capitalised singular for messages: "Contact not found". */
  label: string;
  table: T;
  /** The time `from` and `to` bound in lists. */
  time: PgColumn;
  sorts: Record<string, KeysetSort>;
  filters?(q: Q): (SQL | undefined)[];
  refs?: Record<string, Reference>;
  /** Values computed per row for its view (a session's booked places). */
  extra?: Record<string, SQL>;
  /** Row values from a validated create body (org_id is added; hooks see it in `next`). */
  fromCreate(input: Values, actor: Actor): Values;
  /** The values a validated PATCH sets; default: every field it names. */
  fromUpdate?(patch: Values, current: T['$inferSelect']): Values;
  complete?(tx: Tx, next: Values, current: T['$inferSelect'] | null): Promise<Values | void>;
  check?(next: Values, current: T['$inferSelect'] | null): FieldError[];
  guard?(tx: Tx, next: Values, current: T['$inferSelect'] | null): Promise<void>;
  after?(tx: Tx, row: T['$inferSelect'], current: T['$inferSelect'] | null): Promise<void>;
  afterDelete?(tx: Tx, row: T['$inferSelect']): Promise<void>;
  /** A unique index's name → the 409 it means. */
  conflicts?: Record<string, (values: Values) => AppError>;
  /** Said (409 in_use) when rows of another table still point at this one. */
  inUse?: string;
  view(row: T['$inferSelect'] & Values): V;
}

/** The SQLSTATE and constraint of a database error, through Drizzle's wrapping. */
export function pgErrorOf(err: unknown): { code: string; constraint?: string } | null {
  let e: unknown = err;
  for (let depth = 0; e && depth < 4; depth++) {
    const { code, constraint } = e as { code?: unknown; constraint?: unknown };
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return { code, constraint: typeof constraint === 'string' ? constraint : undefined };
    e = (e as { cause?: unknown }).cause;
  }
  return null;
}

/** 400 with every problem, the first in the detail. */
export function invalid(errors: FieldError[], code = 'validation_failed'): AppError {
  return new AppError(400, code, `${errors[0]!.path}: ${errors[0]!.message}`, errors);
}

const setsUpdatedAt = (table: CrudTable) => 'updatedAt' in table;

export class Resource<T extends CrudTable, V, Q extends ListParams = ListParams> {
  constructor(
    private readonly database: Database,
    readonly def: ResourceDef<T, V, Q>,
  ) {}

  private get t(): CrudTable {
    return this.def.table;
  }

  private selection() {
    return { row: this.def.table, ...(this.def.extra ?? {}) } as Record<string, unknown>;
  }

  private toView(selected: Record<string, unknown>): V {
    const { row, ...extra } = selected as { row: T['$inferSelect'] };
    return this.def.view({ ...row, ...extra });
  }

  /** The list's WHERE: the organization, `from`/`to` on the resource's time, then its filters. */
  conditions(orgId: string, q: Q): SQL[] {
    if (q.from && q.to && q.from > q.to) throw badRequest('to must not be before from', [{ path: 'querystring.to', message: 'must not be before from' }]);
    return [eq(this.t.orgId, orgId), q.from ? gte(this.def.time, q.from) : undefined, q.to ? lte(this.def.time, q.to) : undefined, ...(this.def.filters?.(q) ?? [])].filter(
      (c): c is SQL => c !== undefined,
    );
  }

  async list(actor: Actor, q: Q): Promise<Page<V>> {
    assertOneOfOffsetCursor(q);
    const sort = this.def.sorts[q.sortBy]!;
    const where = this.conditions(actor.orgId, q);
    const after = q.cursor ? [keysetAfter(sort, this.t.id, q.sortOrder, q.cursor, `sortBy=${q.sortBy}`)] : [];
    return this.database.withOrg(actor.orgId, async (tx) => {
      // Together: on PostgreSQL both go out in one round trip (pipelined, decision 54).
      const [[{ total } = { total: 0 }], rows] = await Promise.all([
        tx.select({ total: count() }).from(this.t).where(and(...where)),
        tx
          .select({ ...this.selection(), id: this.t.id, sortKey: sort.key } as never)
          .from(this.t)
          .where(and(...where, ...after))
          .orderBy(...keysetOrder(sort, this.t.id, q.sortOrder))
          .limit(q.limit + 1)
          .offset(q.offset ?? 0) as Promise<Record<string, unknown>[]>,
      ]);
      return toPage(rows as { id: string; sortKey: string | number }[], q, total, (r) => this.toView(r as Record<string, unknown>));
    });
  }

  async get(actor: Actor, id: string): Promise<V> {
    return this.database.withOrg(actor.orgId, (tx) => this.viewIn(tx, actor.orgId, id));
  }

  /** The row's view, read in `tx` (404 when it is not the organization's). */
  async viewIn(tx: Tx, orgId: string, id: string): Promise<V> {
    if (!UUID_RE.test(id)) throw notFound(this.def.label);
    const [found] = (await tx
      .select(this.selection() as never)
      .from(this.t)
      .where(and(eq(this.t.orgId, orgId), eq(this.t.id, id)))) as Record<string, unknown>[];
    if (!found) throw notFound(this.def.label);
    return this.toView(found);
  }

  /** The row itself, locked for the rest of the transaction when `forUpdate`. */
  async load(tx: Tx, orgId: string, id: string, forUpdate = false): Promise<T['$inferSelect']> {
    if (!UUID_RE.test(id)) throw notFound(this.def.label);
    const query = tx
      .select()
      .from(this.t)
      .where(and(eq(this.t.orgId, orgId), eq(this.t.id, id)));
    const [row] = forUpdate ? await query.for('update') : await query;
    if (!row) throw notFound(this.def.label);
    return row as T['$inferSelect'];
  }

  async create(actor: Actor, input: Values): Promise<V> {
    const values = { ...this.def.fromCreate(input, actor), orgId: actor.orgId };
    return this.database.withOrg(actor.orgId, async (tx) => {
      const next = await this.prepare(tx, actor.orgId, values, values, null);
      const [row] = await this.write(next, () => tx.insert(this.t).values(next as never).returning());
      await this.def.after?.(tx, row as T['$inferSelect'], null);
      return this.def.extra ? this.viewIn(tx, actor.orgId, (row as { id: string }).id) : this.def.view(row as T['$inferSelect']);
    });
  }

  async update(actor: Actor, id: string, patch: Values): Promise<V> {
    return this.database.withOrg(actor.orgId, async (tx) => {
      const current = await this.load(tx, actor.orgId, id, true);
      const set = this.def.fromUpdate ? this.def.fromUpdate(patch, current) : definedOnly(patch);
      const next = await this.prepare(tx, actor.orgId, { ...(current as Values), ...set }, set, current);
      const changes = Object.fromEntries(Object.entries(next).filter(([k, v]) => !sameValue(v, (current as Values)[k])));
      if (Object.keys(changes).length === 0) return this.viewIn(tx, actor.orgId, id);
      if (setsUpdatedAt(this.t)) changes.updatedAt = sql`now()`;
      delete changes.id;
      delete changes.orgId;
      const [row] = await this.write(next, () =>
        tx
          .update(this.t)
          .set(changes as never)
          .where(and(eq(this.t.orgId, actor.orgId), eq(this.t.id, id)))
          .returning(),
      );
      await this.def.after?.(tx, row as T['$inferSelect'], current);
      return this.def.extra ? this.viewIn(tx, actor.orgId, id) : this.def.view(row as T['$inferSelect']);
    });
  }

  /** Deletes the row; 409 in_use while rows of another table still need it (the foreign key restricts). */
  async remove(actor: Actor, id: string): Promise<void> {
    await this.database.withOrg(actor.orgId, async (tx) => {
      const current = await this.load(tx, actor.orgId, id, true);
      try {
        await tx.delete(this.t).where(and(eq(this.t.orgId, actor.orgId), eq(this.t.id, id)));
      } catch (err) {
        if (pgErrorOf(err)?.code === '23503') throw new AppError(409, 'in_use', this.def.inUse ?? `${this.def.label} is still in use`);
        throw err;
      }
      await this.def.afterDelete?.(tx, current);
    });
  }

  /** References checked, values completed, rules checked: the row as it will be written. */
  private async prepare(tx: Tx, orgId: string, next: Values, changed: Values, current: T['$inferSelect'] | null): Promise<Values> {
    await checkReferences(tx, orgId, this.def.refs ?? {}, changed);
    const completed = { ...next, ...((await this.def.complete?.(tx, next, current)) ?? {}) };
    const problems = this.def.check?.(completed, current) ?? [];
    if (problems.length) throw invalid(problems);
    await this.def.guard?.(tx, completed, current);
    return current ? completed : Object.fromEntries(Object.entries(completed).filter(([, v]) => v !== undefined));
  }

  /** Runs a write, turning the database's refusals into the 4xx they mean. */
  private async write<R>(values: Values, run: () => Promise<R>): Promise<R> {
    try {
      return await run();
    } catch (err) {
      const pg = pgErrorOf(err);
      if (pg?.code === '23505') {
        const known = pg.constraint ? this.def.conflicts?.[pg.constraint] : undefined;
        throw known ? known(values) : new AppError(409, 'conflict', `${this.def.label} conflicts with an existing one`);
      }
      if (pg?.code === '23503') throw new AppError(409, 'conflict', 'A row this refers to was deleted meanwhile; reload and try again');
      if (pg?.code === '23514') throw badRequest(`${this.def.label} breaks the rule ${pg.constraint ?? 'of its table'}`);
      throw err;
    }
  }
}

/** 400 naming `body.<field>` for each reference that is not a row of the organization. */
export async function checkReferences(tx: Tx, orgId: string, refs: Record<string, Reference>, values: Values): Promise<void> {
  const wanted = Object.entries(refs).filter(([field]) => typeof values[field] === 'string');
  if (!wanted.length) return;
  const found = await Promise.all(
    wanted.map(async ([field, ref]) => {
      const id = values[field] as string;
      const rows = await tx
        .select({ id: ref.table.id })
        .from(ref.table)
        .where(and(eq(ref.table.orgId, orgId), inArray(ref.table.id, [id])));
      return rows.length ? null : { path: `body.${field}`, message: `no ${ref.label} with this id in this organization` };
    }),
  );
  const problems = found.filter((p): p is FieldError => p !== null);
  if (problems.length) throw invalid(problems);
}

const definedOnly = (o: Values) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));

function sameValue(a: unknown, b: unknown): boolean {
  if (a instanceof Date && b instanceof Date) return a.getTime() === b.getTime();
  if (Array.isArray(a) || (a && typeof a === 'object')) return JSON.stringify(a) === JSON.stringify(b);
  return a === b;
}

/** Dates as ISO strings: a row as the API shows it. */
export function isoDates<R extends Values>(row: R): { [K in keyof R]: R[K] extends Date ? string : R[K] extends Date | null ? string | null : R[K] } {
  return Object.fromEntries(Object.entries(row).map(([k, v]) => [k, v instanceof Date ? v.toISOString() : v])) as never;
}
