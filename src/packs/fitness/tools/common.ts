import { and, eq } from 'drizzle-orm';
import { z } from 'zod';
import { exactUsd } from '../../../billing/money.js';
import type { Tx } from '../../../db/client.js';
import { AppError } from '../../../shared/errors.js';
import { UUID_RE } from '../../../shared/ids.js';
import type { Actor } from '../../../shared/roles.js';
import type { ToolContext } from '../../../tools/define.js';
import { ToolError } from '../../../tools/errors.js';
import { kindOfStatus, type ContactStatus } from '../crm/enums.js';
import { fitnessCrmOf, type FitnessCrm } from '../index.js';
import { fitnessContacts, type ContactRow } from '../crm/schema.js';

// What every fitness tool shares: the actor it acts as, the CRM, errors the model can act on,
// money as micro-dollars plus "$12.34", and the compact shapes results are made of.

/** The actor a tool acts as in the CRM: the organization's member role, no person, no key. */
export const toolActor = (ctx: Pick<ToolContext, 'orgId'>): Actor => ({ orgId: ctx.orgId, role: 'member', userId: null, apiKeyId: null });

/** The CRM over the tool's database. */
export const crmOf = (ctx: Pick<ToolContext, 'database'>): FitnessCrm => fitnessCrmOf(ctx.database);

/**
 * The CRM's refusals as tool failures the model can act on: 404 → not_found, 409 → conflict with
 * the CRM's code first (`session_full: The session is full …`), 400 → invalid_arguments. Anything
 * else stays an internal error (its text may hold SQL).
 */
export function toToolError(err: unknown): unknown {
  if (!(err instanceof AppError)) return err;
  if (err.status === 404) return new ToolError(`${err.message} in this organization`, 'not_found');
  if (err.status === 409) return new ToolError(`${err.code}: ${err.message}`, 'conflict');
  if (err.status === 400 || err.status === 422) return new ToolError(err.message, 'invalid_arguments');
  return err;
}

/** Runs a CRM call, turning its refusals into tool failures (toToolError). */
export async function viaCrm<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw toToolError(err);
  }
}

/** Money for the model: exact micro-dollars and the same as a person reads it. */
export const money = (micros: number) => ({ micros, usd: exactUsd(micros) });
export const moneySchema = z.object({ micros: z.number().int(), usd: z.string() });

/** Rows in one answer: a default of 20, at most 100 (a model reads every row it gets). */
export const limitSchema = (fallback = 20, max = 100) => z.number().int().min(1).max(max).default(fallback).describe(`How many rows (default ${fallback}, at most ${max})`);
export const offsetSchema = z.number().int().min(0).max(100_000).default(0).describe('Rows to skip, for the next page (the previous answer says nextOffset)');
export const idSchema = (what: string) => z.uuid().describe(`The ${what}'s id`);
export const timeSchema = z.iso.datetime({ offset: true }).describe('ISO 8601 with Z or an offset, e.g. 2026-05-01T18:00:00+02:00');

/** The next page's offset, or null when this one reached the end. */
export const nextOffset = (offset: number, got: number, total: number) => (offset + got < total ? offset + got : null);

export const fullName = (c: { firstName: string; lastName: string }) => [c.firstName, c.lastName].filter(Boolean).join(' ');
/** A time as ISO 8601 (a row's Date, or an API view's string). */
export const iso = (d: Date | string | null): string | null => (d === null ? null : typeof d === 'string' ? d : d.toISOString());

type ContactLike = Pick<ContactRow, 'id' | 'firstName' | 'lastName' | 'email' | 'phone' | 'tags' | 'visits30d'> & { status: string; lastVisitAt: Date | string | null };

/** A contact as one line of a list: who, where in the life cycle, how to reach them, when last seen. */
export function contactLine(c: ContactLike) {
  return {
    id: c.id,
    name: fullName(c),
    status: c.status as ContactStatus,
    kind: kindOfStatus(c.status as ContactStatus),
    email: c.email,
    phone: c.phone,
    tags: c.tags,
    lastVisitAt: iso(c.lastVisitAt),
    visits30d: c.visits30d,
  };
}

/** What the contact agreed to; `optedOut` outranks every consent. */
export const consentsOf = (c: ContactRow) => ({ email: c.emailConsent, sms: c.smsConsent, marketing: c.marketingConsent, optedOut: c.optedOut });

/** The organization's contact (not another's: not_found), read in `tx`. */
export async function contactIn(tx: Tx, orgId: string, id: string, what = 'Contact'): Promise<ContactRow> {
  if (!UUID_RE.test(id)) throw new ToolError(`${what} not found in this organization`, 'not_found');
  const [row] = await tx
    .select()
    .from(fitnessContacts)
    .where(and(eq(fitnessContacts.orgId, orgId), eq(fitnessContacts.id, id)));
  if (!row) throw new ToolError(`${what} not found in this organization`, 'not_found');
  return row;
}

/** Reads the organization's contact in its own transaction. */
export const loadContact = (ctx: ToolContext, id: string, what?: string) => ctx.database.withOrg(ctx.orgId, (tx) => contactIn(tx, ctx.orgId, id, what));

/** Days between two times, as a whole number (rounded down). */
export const daysBetween = (from: Date, to: Date) => Math.floor((to.getTime() - from.getTime()) / 86_400_000);
