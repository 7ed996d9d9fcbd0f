import { z } from 'zod';

// Pure schema file: shared with the dashboard (imports only zod). The routes are in routes.ts.

const iso = z.date().transform((d) => d.toISOString()).pipe(z.string());
const isoOrNull = z.date().nullable().transform((d) => d?.toISOString() ?? null).pipe(z.string().nullable());

export const conversationSchema = z
  .object({
    id: z.uuid(),
    agentId: z.uuid(),
    userId: z.uuid().nullable(),
    visitorId: z.uuid().nullable().describe("Set on a website visitor's conversation (a published chat): staff read it, only the visitor writes in it"),
    publicationId: z.uuid().nullable().describe('The chat publication a visitor came through (null once it was deleted)'),
    title: z.string(),
    summary: z.string().describe('Running summary of the turns no longer sent to the model verbatim'),
    messageCount: z.number().int(),
    lastMessageAt: isoOrNull,
    createdAt: iso,
    updatedAt: iso,
  })
  .meta({ id: 'Conversation' });

export const messageSchema = z
  .object({
    id: z.uuid(),
    seq: z.number().int(),
    role: z.enum(['user', 'assistant', 'tool']),
    content: z.unknown().describe('The message in AI SDK ModelMessage form: text, or parts (text, tool-call, tool-result)'),
    text: z.string(),
    runId: z.uuid().nullable(),
    inputTokens: z.number().int().nullable(),
    outputTokens: z.number().int().nullable(),
    costMicros: z.number().int().nullable().describe('Billed cost of the reply, micro-dollars (on the last assistant message of a run)'),
    createdAt: iso,
  })
  .meta({ id: 'Message' });

const title = z.string().trim().min(1).max(200);

/** `POST /conversations`. */
export const createConversationBody = z.object({ agentId: z.uuid(), title: title.optional() });
/** `PATCH /conversations/:id`. */
export const renameConversationBody = z.object({ title });
/** `POST /conversations/:id/messages`. */
export const sendMessageBody = z.object({ content: z.string().trim().min(1).max(100_000) });
