import { eq } from 'drizzle-orm';
import { z } from 'zod';
import type { Database } from '../../../db/client.js';
import type { SecretBox } from '../../../shared/crypto.js';
import { AppError, badRequest } from '../../../shared/errors.js';
import type { Actor } from '../../../shared/roles.js';
import type { ToolContext } from '../../../tools/define.js';
import { ToolError } from '../../../tools/errors.js';
import { checkUrl } from '../../../tools/net/guard.js';
import { guardedRequest } from '../../../tools/net/request.js';
import { ToolSettings } from '../../../tools/settings.js';
import { fitnessSmsSettings } from './schema.js';

/*
 * The organization's SMS provider: Twilio's wire format (POST
 * {baseUrl}/2010-04-01/Accounts/{sid}/Messages.json, form-encoded To/From/Body, HTTP Basic
 * sid:token), so Twilio and services that speak its API work. The base URL is the tenant's to set,
 * so every request to it passes the tools' egress guard (private and loopback addresses refused
 * unless the organization's http allowlist names them). The auth token is stored encrypted
 * (SecretBox, the organization bound as associated data) and shown to nobody.
 */

const tokenAad = (orgId: string) => `fitness-sms-settings:auth-token:${orgId}`;

/** E.164 (+ and 8 to 15 digits) or an alphanumeric sender id (up to 11 letters, digits, spaces, with a letter). */
const SENDER = /^(?:\+[1-9]\d{6,14}|(?=.*[A-Za-z])[A-Za-z0-9 ]{1,11})$/;

/** PUT /fitness/sms-settings. The token may be left out to keep the one already set. */
export const smsSettingsBody = z.strictObject({
  provider: z.literal('twilio').default('twilio').describe('twilio: Twilio or a service speaking its API'),
  accountSid: z
    .string()
    .trim()
    .regex(/^[A-Za-z0-9_-]{2,64}$/, 'letters, digits, _ and - only (a Twilio Account SID looks like AC followed by 32 hex digits)'),
  authToken: z.string().min(8, 'at least 8 characters').max(256).optional().describe('Write-only: stored encrypted, never shown again; leave out to keep the current one'),
  fromNumber: z.string().trim().regex(SENDER, 'an E.164 number (+15550100) or an alphanumeric sender id of up to 11 characters').describe('The sender: +15550100'),
  baseUrl: z
    .string()
    .trim()
    .max(500)
    .default('https://api.twilio.com')
    .refine((u) => {
      try {
        const url = checkUrl(u);
        return !url.search && !url.hash;
      } catch {
        return false;
      }
    }, 'an http(s) URL without user, password, query or fragment')
    .describe("The API's base URL (default Twilio's). Private addresses need the organization's http allowlist (tool settings)"),
});
export type SmsSettingsBody = z.output<typeof smsSettingsBody>;

export interface SmsSettingsView {
  configured: boolean;
  provider: 'twilio' | null;
  baseUrl: string | null;
  accountSid: string | null;
  fromNumber: string | null;
  authTokenSet: boolean;
  updatedAt: Date | null;
}

export const smsSettingsSchema = z
  .object({
    configured: z.boolean().describe('false: SMS are kept in the SMS outbox, not sent'),
    provider: z.literal('twilio').nullable(),
    baseUrl: z.string().nullable(),
    accountSid: z.string().nullable(),
    fromNumber: z.string().nullable(),
    authTokenSet: z.boolean().describe('The token itself is never shown'),
    updatedAt: z
      .date()
      .nullable()
      .transform((d) => d?.toISOString() ?? null)
      .pipe(z.string().nullable()),
  })
  .meta({ id: 'FitnessSmsSettings' });

/** What a send needs, token decrypted. */
export interface SmsProvider {
  baseUrl: string;
  accountSid: string;
  authToken: string;
  fromNumber: string;
}

type Row = typeof fitnessSmsSettings.$inferSelect;
const NONE: SmsSettingsView = { configured: false, provider: null, baseUrl: null, accountSid: null, fromNumber: null, authTokenSet: false, updatedAt: null };
const view = (row: Row | undefined): SmsSettingsView =>
  row ? { configured: true, provider: 'twilio', baseUrl: row.baseUrl, accountSid: row.accountSid, fromNumber: row.fromNumber, authTokenSet: true, updatedAt: row.updatedAt } : NONE;

export class SmsSettings {
  constructor(
    private readonly database: Database,
    private readonly secrets?: SecretBox,
  ) {}

  async get(orgId: string): Promise<SmsSettingsView> {
    return view(await this.row(orgId));
  }

  /** Sets the provider; a first setting needs the token, a later one keeps it when none is given. */
  async set(actor: Actor, input: SmsSettingsBody): Promise<SmsSettingsView> {
    const box = this.box();
    return this.database.withOrg(actor.orgId, async (tx) => {
      const [current] = await tx.select().from(fitnessSmsSettings).where(eq(fitnessSmsSettings.orgId, actor.orgId)).for('update');
      if (!current && input.authToken === undefined) throw badRequest('authToken is required the first time', [{ path: 'body.authToken', message: 'required: no token is set yet' }]);
      const values = {
        provider: input.provider,
        baseUrl: input.baseUrl.replace(/\/+$/, ''),
        accountSid: input.accountSid,
        fromNumber: input.fromNumber,
        authToken: input.authToken !== undefined ? box.encrypt(input.authToken, tokenAad(actor.orgId)) : current!.authToken,
        updatedAt: new Date(),
      };
      const [row] = await tx
        .insert(fitnessSmsSettings)
        .values({ orgId: actor.orgId, ...values })
        .onConflictDoUpdate({ target: fitnessSmsSettings.orgId, set: values })
        .returning();
      return view(row);
    });
  }

  /** Removes the provider: SMS are kept in the outbox again. */
  async remove(actor: Actor): Promise<SmsSettingsView> {
    await this.database.withOrg(actor.orgId, (tx) => tx.delete(fitnessSmsSettings).where(eq(fitnessSmsSettings.orgId, actor.orgId)));
    return NONE;
  }

  /** The provider with its token, or null when none is set. A token this server cannot read fails (never sent without it). */
  async provider(orgId: string): Promise<SmsProvider | null> {
    const row = await this.row(orgId);
    if (!row) return null;
    let authToken: string;
    try {
      authToken = this.box().decrypt(row.authToken, tokenAad(orgId));
    } catch {
      throw new AppError(500, 'secret_unreadable', "The organization's SMS auth token cannot be read with this server's key; an administrator must set it again");
    }
    return { baseUrl: row.baseUrl, accountSid: row.accountSid, authToken, fromNumber: row.fromNumber };
  }

  private async row(orgId: string): Promise<Row | undefined> {
    const [row] = await this.database.withOrg(orgId, (tx) => tx.select().from(fitnessSmsSettings).where(eq(fitnessSmsSettings.orgId, orgId)));
    return row;
  }

  private box(): SecretBox {
    if (!this.secrets) throw new AppError(500, 'secrets_unavailable', 'This process has no key to encrypt or read secrets with');
    return this.secrets;
  }
}

/** A phone number as a provider expects it: + and digits when it was written with +, else its digits. */
export const dialable = (phone: string) => `${phone.trim().startsWith('+') ? '+' : ''}${phone.replace(/\D/g, '')}`;

/** Shows the last four digits only, for results and approval cards. */
export const maskPhone = (phone: string) => {
  const digits = phone.replace(/\D/g, '');
  return digits.length <= 4 ? '****' : `${'*'.repeat(Math.min(8, digits.length - 4))}${digits.slice(-4)}`;
};

const RESPONSE_BYTES = 16 * 1024;

/**
 * Sends one SMS through the organization's provider, under the egress guard with the
 * organization's http allowlist, no redirects followed. Returns the provider's message id; a
 * refusal (non-2xx) or a network failure throws a ToolError whose text never holds the token.
 */
export async function sendTwilio(ctx: ToolContext, provider: SmsProvider, to: string, body: string): Promise<{ messageId: string | null; status: string | null }> {
  const url = `${provider.baseUrl}/2010-04-01/Accounts/${encodeURIComponent(provider.accountSid)}/Messages.json`;
  const allowlist = await new ToolSettings(ctx.database).allowlist(ctx.orgId);
  const res = await guardedRequest({
    url,
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${provider.accountSid}:${provider.authToken}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
      accept: 'application/json',
    },
    body: new URLSearchParams({ To: to, From: provider.fromNumber, Body: body }).toString(),
    allowlist,
    timeoutMs: ctx.config.TROUPE_HTTP_TOOL_TIMEOUT_MS,
    maxBytes: RESPONSE_BYTES,
    maxRedirects: 0,
    signal: ctx.signal,
  });
  let answer: { sid?: unknown; status?: unknown; message?: unknown; code?: unknown } = {};
  try {
    answer = JSON.parse(res.body) as typeof answer;
  } catch {
    // not JSON: the status says enough
  }
  if (res.status < 200 || res.status >= 300) {
    const said = typeof answer.message === 'string' ? `: ${answer.message.slice(0, 300)}${answer.code !== undefined ? ` (code ${String(answer.code)})` : ''}` : '';
    throw new ToolError(`The SMS provider refused the message (HTTP ${res.status})${said}`);
  }
  return { messageId: typeof answer.sid === 'string' ? answer.sid : null, status: typeof answer.status === 'string' ? answer.status : null };
}
