import { z } from 'zod';

// Pure schema file (zod only): shared with the dashboard. Routes are in routes.ts and public-routes.ts.

const iso = z.date().transform((d) => d.toISOString()).pipe(z.string());

/** `pk_` and 32 base64url characters. */
export const PUBLIC_KEY_RE = /^pk_[A-Za-z0-9_-]{32}$/;
export const THEME_COLOR_RE = /^#[0-9a-fA-F]{6}$/;
/** Longest message a visitor may send, in characters. */
export const VISITOR_MESSAGE_MAX = 4000;

/** `https://gym.example` (scheme, host and port only), as a browser sends it in `Origin`. */
const origin = z
  .string()
  .trim()
  .max(300)
  .transform((value, ctx) => {
    let url: URL | null = null;
    try {
      url = new URL(value);
    } catch {
      url = null;
    }
    if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:') || url.origin !== value.replace(/\/$/, '').toLowerCase()) {
      ctx.addIssue({ code: 'custom', message: 'must be an origin: scheme, host and optional port, e.g. https://gym.example (no path)' });
      return z.NEVER;
    }
    return url.origin;
  });

const fields = {
  title: z.string().trim().min(1).max(100).describe('Shown at the top of the chat'),
  greeting: z.string().trim().max(500).describe('The first message a visitor sees (not sent to the agent)'),
  themeColor: z.string().regex(THEME_COLOR_RE, 'must be a colour like #2563eb').describe('`#rrggbb`: the button and the visitor’s messages'),
  allowedOrigins: z
    .array(origin)
    .max(20)
    .transform((list) => [...new Set(list)])
    .describe('Sites whose pages may use the widget, exact origins; empty: any site. The public chat page is always allowed'),
  messagesPerMinute: z.number().int().min(1).max(1000).describe('Messages one visitor may send per rolling minute'),
  messagesPerDay: z.number().int().min(1).max(100_000).describe('Messages one visitor may send per rolling 24 hours'),
  enabled: z.boolean().describe('false: the public key answers 404 until enabled again'),
};

/** Body of `POST /chat-publications`. Defaults: title = the agent's name, 10 messages a minute, 200 a day, enabled. */
export const createPublicationBody = z
  .strictObject({
    agentId: z.uuid(),
    title: fields.title.optional(),
    greeting: fields.greeting.default(''),
    themeColor: fields.themeColor.default('#2563eb'),
    allowedOrigins: fields.allowedOrigins.default([]),
    messagesPerMinute: fields.messagesPerMinute.default(10),
    messagesPerDay: fields.messagesPerDay.default(200),
    enabled: fields.enabled.default(true),
  })
  .meta({ id: 'CreateChatPublication' });
export type CreatePublicationInput = z.output<typeof createPublicationBody>;

/** Body of `PATCH /chat-publications/:id`: the fields given change. */
export const updatePublicationBody = z
  .strictObject({
    title: fields.title.optional(),
    greeting: fields.greeting.optional(),
    themeColor: fields.themeColor.optional(),
    allowedOrigins: fields.allowedOrigins.optional(),
    messagesPerMinute: fields.messagesPerMinute.optional(),
    messagesPerDay: fields.messagesPerDay.optional(),
    enabled: fields.enabled.optional(),
  })
  .meta({ id: 'UpdateChatPublication' });
export type UpdatePublicationInput = z.output<typeof updatePublicationBody>;

export const publicationSchema = z
  .object({
    id: z.uuid(),
    agentId: z.uuid(),
    publicKey: z.string().describe('Public: it goes into the page that embeds the widget'),
    title: z.string(),
    greeting: z.string(),
    themeColor: z.string(),
    allowedOrigins: z.array(z.string()),
    messagesPerMinute: z.number().int(),
    messagesPerDay: z.number().int(),
    enabled: z.boolean(),
    createdBy: z.uuid().nullable(),
    createdAt: iso,
    updatedAt: iso,
    chatUrl: z.string().describe('The public chat page'),
    embedCode: z.string().describe('The script tag to paste into a website'),
  })
  .meta({ id: 'ChatPublication' });

/** What the widget reads first: `GET /public/chat/:publicKey`. */
export const publicChatConfigSchema = z
  .object({ title: z.string(), greeting: z.string(), themeColor: z.string(), agentName: z.string() })
  .meta({ id: 'PublicChatConfig' });

export const visitorSessionSchema = z
  .object({
    token: z.string().describe('Send as `Authorization: Bearer <token>`; valid 30 days'),
    visitorId: z.uuid(),
    expiresAt: z.string(),
  })
  .meta({ id: 'VisitorSession' });

export const visitorMessageSchema = z
  .object({ seq: z.number().int(), role: z.enum(['visitor', 'assistant']), text: z.string(), createdAt: iso })
  .meta({ id: 'VisitorMessage' });

export const visitorSendBody = z.strictObject({ content: z.string().trim().min(1).max(VISITOR_MESSAGE_MAX) });

export const visitorReplySchema = z
  .object({
    status: z.enum(['answered', 'pending', 'failed']).describe('pending: the answer will appear in GET …/messages (poll with after=)'),
    messages: z.array(visitorMessageSchema).describe('Your message and the answer, as stored'),
    notice: z.string().optional(),
  })
  .meta({ id: 'VisitorReply' });
