import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local stand-in for model providers, speaking their wire formats closely enough for the real
 * AI SDK clients: OpenAI Chat Completions (`POST /v1/chat/completions`), OpenAI Responses
 * (`POST /v1/responses`), Anthropic Messages (`POST /v1/messages`) and Google's Gemini API
 * (`POST /v1beta/models/<model>:generateContent`, `:streamGenerateContent?alt=sse`), each plain or
 * streamed (SSE) as the request asks. Point a client at `${stub.url}/v1` (Google: `/v1beta`).
 * Groq, OpenRouter, Ollama and other OpenAI-compatible servers speak Chat Completions.
 *
 * Replies are scripted with `enqueue` and served in order, whatever the endpoint; with an empty
 * queue it answers `defaultReply`, with no delay, so load benchmarks can run unscripted.
 */
export interface StubToolCall {
  /** Default `call_<n>` (OpenAI, Google) / `toolu_<n>` (Anthropic). */
  id?: string;
  name: string;
  args: Record<string, unknown>;
  /** Sent instead of `args` as the arguments text (OpenAI formats only): e.g. JSON that does not parse. */
  rawArgs?: string;
}

export interface StubReply {
  text?: string;
  toolCalls?: StubToolCall[];
  /** Prompt tokens including cached ones (OpenAI's meaning; converted for Anthropic), output tokens. */
  usage?: { input: number; output: number; cached?: number };
  /** ≥ 400 answers a provider-shaped error body (message: `text`, or a default). */
  status?: number;
  headers?: Record<string, string>;
  /** Waits this long before answering. */
  delayMs?: number;
}

export interface StubRequest {
  path: string;
  body: Record<string, unknown>;
  headers: Record<string, string | string[] | undefined>;
  /** Set when the client went away before the answer was sent (an aborted call); a delay in progress stops. */
  aborted: boolean;
}

export interface ProviderStub {
  /** `http://127.0.0.1:<port>`; provider base URLs are `${url}/v1`. */
  url: string;
  /** Every request received, oldest first (unless started with `record: false`). */
  requests: StubRequest[];
  enqueue(...replies: StubReply[]): void;
  /** Forgets queued replies and recorded requests. */
  reset(): void;
  close(): Promise<void>;
}

export interface StubOptions {
  /** Answer when the queue is empty. Default: text "Hello from the stub." with usage 10/5. */
  defaultReply?: StubReply;
  /**
   * Decides the reply from the request itself (before the queue): for concurrent load, where a
   * single queue cannot tell which run a request belongs to. Return undefined to fall through.
   */
  respond?: (request: { path: string; body: Record<string, unknown> }) => StubReply | undefined;
  /** Keep `requests`; default true. Turn off for long benchmarks so memory stays flat. */
  record?: boolean;
}

/** What GET /v1/models lists. */
export const STUB_MODELS = ['gpt-4o-mini', 'gpt-4o', 'stub-model'];

const DEFAULT_REPLY: StubReply = { text: 'Hello from the stub.', usage: { input: 10, output: 5 } };

type Kind = 'chat' | 'responses' | 'anthropic' | 'google';
const ROUTES: Record<string, Kind> = { '/v1/chat/completions': 'chat', '/v1/responses': 'responses', '/v1/messages': 'anthropic' };
/** Gemini: the model and whether to stream are in the path (`/v1beta/models/gemini-2.5-flash:streamGenerateContent`). */
const GOOGLE_ROUTE = /^\/v1(?:beta)?\/models\/[^/]+:(generateContent|streamGenerateContent)$/;

/** The text in word-sized pieces (each with its trailing space), as providers stream it. */
const pieces = (text: string) => text.match(/\S+\s*|\s+/g) ?? [];

const sse = (events: unknown[]) => events.map((e) => `data: ${JSON.stringify(e)}\n\n`).join('');
const namedSse = (events: { type: string }[]) => events.map((e) => `event: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`).join('');

function errorBody(kind: Kind, status: number, message: string): unknown {
  const type =
    status === 401 ? 'authentication_error' : status === 403 ? 'permission_error' : status === 404 ? 'not_found_error'
    : status === 429 ? 'rate_limit_error' : status === 529 ? 'overloaded_error' : status >= 500 ? 'api_error' : 'invalid_request_error';
  if (kind === 'anthropic') return { type: 'error', error: { type, message } };
  if (kind === 'google') {
    const googleStatus = status === 429 ? 'RESOURCE_EXHAUSTED' : status === 401 ? 'UNAUTHENTICATED' : status === 403 ? 'PERMISSION_DENIED' : status === 404 ? 'NOT_FOUND' : status >= 500 ? 'INTERNAL' : 'INVALID_ARGUMENT';
    return { error: { code: status, message, status: googleStatus } };
  }
  return { error: { message, type, param: null, code: status === 429 ? 'rate_limit_exceeded' : null } };
}

interface Ctx {
  n: number;
  model: string;
  reply: StubReply;
  usage: { input: number; output: number; cached: number };
  calls: { id: string; name: string; args: string }[];
}

function chat(c: Ctx, stream: boolean, includeUsage: boolean): string {
  const { n, model, reply, usage } = c;
  const created = Math.floor(Date.now() / 1000);
  const finish = c.calls.length ? 'tool_calls' : 'stop';
  const u = { prompt_tokens: usage.input, completion_tokens: usage.output, total_tokens: usage.input + usage.output, prompt_tokens_details: { cached_tokens: usage.cached } };
  if (!stream) {
    const toolCalls = c.calls.map((t) => ({ id: t.id, type: 'function', function: { name: t.name, arguments: t.args } }));
    const message = { role: 'assistant', content: reply.text ?? null, ...(toolCalls.length ? { tool_calls: toolCalls } : {}) };
    return JSON.stringify({ id: `chatcmpl-${n}`, object: 'chat.completion', created, model, choices: [{ index: 0, message, finish_reason: finish }], usage: u });
  }
  const chunk = (delta: unknown, finish_reason: string | null = null) => ({
    id: `chatcmpl-${n}`, object: 'chat.completion.chunk', created, model, choices: [{ index: 0, delta, finish_reason }],
  });
  const events: unknown[] = [chunk({ role: 'assistant', content: '' })];
  for (const p of pieces(reply.text ?? '')) events.push(chunk({ content: p }));
  c.calls.forEach((t, index) => {
    events.push(chunk({ tool_calls: [{ index, id: t.id, type: 'function', function: { name: t.name, arguments: '' } }] }));
    const half = Math.ceil(t.args.length / 2);
    for (const part of [t.args.slice(0, half), t.args.slice(half)]) if (part) events.push(chunk({ tool_calls: [{ index, function: { arguments: part } }] }));
  });
  // Groq's API reports a stream's usage in `x_groq` on its last chunk when not asked for it
  // the OpenAI way (the Groq client does not ask); other clients ignore the field.
  events.push({ ...chunk({}, finish), ...(includeUsage ? {} : { x_groq: { id: `req_${n}`, usage: u } }) });
  if (includeUsage) events.push({ id: `chatcmpl-${n}`, object: 'chat.completion.chunk', created, model, choices: [], usage: u });
  return `${sse(events)}data: [DONE]\n\n`;
}

function responses(c: Ctx, stream: boolean): string {
  const { n, model, reply, usage } = c;
  const created_at = Math.floor(Date.now() / 1000);
  const u = {
    input_tokens: usage.input, input_tokens_details: { cached_tokens: usage.cached },
    output_tokens: usage.output, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: usage.input + usage.output,
  };
  const message = reply.text === undefined ? null : {
    type: 'message', id: `msg_${n}`, role: 'assistant', status: 'completed', content: [{ type: 'output_text', text: reply.text, annotations: [] }],
  };
  const calls = c.calls.map((t, i) => ({ type: 'function_call', id: `fc_${n}_${i}`, call_id: t.id, name: t.name, arguments: t.args, status: 'completed' }));
  const output = [...(message ? [message] : []), ...calls];
  const response = { id: `resp_${n}`, object: 'response', created_at, model, status: 'completed', output, usage: u };
  if (!stream) return JSON.stringify(response);

  const events: { type: string; [k: string]: unknown }[] = [
    { type: 'response.created', response: { ...response, status: 'in_progress', output: [], usage: null } },
    { type: 'response.in_progress', response: { ...response, status: 'in_progress', output: [], usage: null } },
  ];
  output.forEach((item, output_index) => {
    if (item.type === 'message') {
      const m = item as NonNullable<typeof message>;
      const text = m.content[0]!.text;
      events.push({ type: 'response.output_item.added', output_index, item: { ...m, status: 'in_progress', content: [] } });
      events.push({ type: 'response.content_part.added', item_id: m.id, output_index, content_index: 0, part: { type: 'output_text', text: '', annotations: [] } });
      for (const delta of pieces(text)) events.push({ type: 'response.output_text.delta', item_id: m.id, output_index, content_index: 0, delta, logprobs: [] });
      events.push({ type: 'response.output_text.done', item_id: m.id, output_index, content_index: 0, text });
      events.push({ type: 'response.content_part.done', item_id: m.id, output_index, content_index: 0, part: m.content[0] });
      events.push({ type: 'response.output_item.done', output_index, item: m });
    } else {
      const f = item as (typeof calls)[number];
      events.push({ type: 'response.output_item.added', output_index, item: { ...f, arguments: '', status: 'in_progress' } });
      events.push({ type: 'response.function_call_arguments.delta', item_id: f.id, output_index, delta: f.arguments });
      events.push({ type: 'response.function_call_arguments.done', item_id: f.id, output_index, arguments: f.arguments });
      events.push({ type: 'response.output_item.done', output_index, item: f });
    }
  });
  events.push({ type: 'response.completed', response });
  return namedSse(events.map((e, sequence_number) => ({ ...e, sequence_number })));
}

function anthropic(c: Ctx, stream: boolean): string {
  const { n, model, reply, usage } = c;
  // Anthropic counts cached prompt tokens apart from input_tokens.
  const u = { input_tokens: usage.input - usage.cached, output_tokens: usage.output, cache_read_input_tokens: usage.cached, cache_creation_input_tokens: 0 };
  const stop = c.calls.length ? 'tool_use' : 'end_turn';
  const blocks = [
    ...(reply.text === undefined ? [] : [{ type: 'text', text: reply.text }]),
    ...c.calls.map((t) => ({ type: 'tool_use', id: t.id, name: t.name, input: JSON.parse(t.args) as unknown })),
  ];
  const message = { id: `msg_${n}`, type: 'message', role: 'assistant', model, content: blocks, stop_reason: stop, stop_sequence: null, usage: u };
  if (!stream) return JSON.stringify(message);

  const events: { type: string; [k: string]: unknown }[] = [
    { type: 'message_start', message: { ...message, content: [], stop_reason: null, usage: { ...u, output_tokens: 1 } } },
    { type: 'ping' },
  ];
  blocks.forEach((b, index) => {
    if (b.type === 'text') {
      events.push({ type: 'content_block_start', index, content_block: { type: 'text', text: '' } });
      for (const text of pieces((b as { text: string }).text)) events.push({ type: 'content_block_delta', index, delta: { type: 'text_delta', text } });
    } else {
      const t = b as { id: string; name: string; input: unknown };
      const json = JSON.stringify(t.input);
      events.push({ type: 'content_block_start', index, content_block: { type: 'tool_use', id: t.id, name: t.name, input: {} } });
      const half = Math.ceil(json.length / 2);
      for (const partial_json of [json.slice(0, half), json.slice(half)]) {
        if (partial_json) events.push({ type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json } });
      }
    }
    events.push({ type: 'content_block_stop', index });
  });
  events.push({ type: 'message_delta', delta: { stop_reason: stop, stop_sequence: null }, usage: { output_tokens: usage.output } });
  events.push({ type: 'message_stop' });
  return namedSse(events);
}

function google(c: Ctx, stream: boolean): string {
  const { n, model, reply, usage } = c;
  // Gemini counts cached tokens inside promptTokenCount, as OpenAI does.
  const usageMetadata = {
    promptTokenCount: usage.input, candidatesTokenCount: usage.output, totalTokenCount: usage.input + usage.output,
    ...(usage.cached ? { cachedContentTokenCount: usage.cached } : {}),
  };
  // Gemini answers STOP for tool calls too; the client tells them apart by the parts.
  const candidate = (parts: unknown[], last: boolean) => ({ content: { parts, role: 'model' }, ...(last ? { finishReason: 'STOP' } : {}), index: 0 });
  const callParts = c.calls.map((t) => ({ functionCall: { id: t.id, name: t.name, args: JSON.parse(t.args) as unknown } }));
  const response = (parts: unknown[], last: boolean) => ({
    candidates: [candidate(parts, last)], ...(last ? { usageMetadata } : {}), modelVersion: model, responseId: `gresp_${n}`,
  });
  if (!stream) return JSON.stringify(response([...(reply.text === undefined ? [] : [{ text: reply.text }]), ...callParts], true));
  const chunks: unknown[][] = pieces(reply.text ?? '').map((text) => [{ text }]);
  if (callParts.length) chunks.push(callParts);
  if (chunks.length === 0) chunks.push([]);
  return sse(chunks.map((parts, i) => response(parts, i === chunks.length - 1)));
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** Starts the stub on 127.0.0.1 with a free port. Close it with `stub.close()`. */
export async function startProviderStub(options: StubOptions = {}): Promise<ProviderStub> {
  const queue: StubReply[] = [];
  const requests: StubRequest[] = [];
  const record = options.record ?? true;
  const fallback = options.defaultReply ?? DEFAULT_REPLY;
  let counter = 0;

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const path = (req.url ?? '/').split('?')[0]!;
    const raw = await readBody(req);
    let body: Record<string, unknown> = {};
    try {
      body = raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
    } catch {
      // recorded as {}; the route check below still answers
    }
    const recorded: StubRequest = { path, body, headers: req.headers, aborted: false };
    let gone!: () => void;
    const clientGone = new Promise<void>((resolve) => (gone = resolve));
    res.on('close', () => {
      if (!res.writableFinished) {
        recorded.aborted = true;
        gone();
      }
    });
    if (record) requests.push(recorded);
    // GET /v1/models (a connection test): the model list, or the next queued reply's error (Anthropic's shape when asked with anthropic-version).
    if (req.method === 'GET' && path === '/v1/models') {
      const reply = queue.shift() ?? fallback;
      const kind: Kind = req.headers['anthropic-version'] ? 'anthropic' : 'chat';
      if (reply.status && reply.status >= 400) {
        res.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers }).end(JSON.stringify(errorBody(kind, reply.status, reply.text ?? `Stub error ${reply.status}`)));
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ object: 'list', data: STUB_MODELS.map((id) => ({ id, object: 'model', owned_by: 'stub' })) }));
      return;
    }
    const googleRoute = GOOGLE_ROUTE.exec(path);
    const kind: Kind | undefined = ROUTES[path] ?? (googleRoute ? 'google' : undefined);
    if (req.method !== 'POST' || !kind) {
      res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify(errorBody('chat', 404, `No route ${req.method} ${path}`)));
      return;
    }
    const reply = options.respond?.({ path, body }) ?? queue.shift() ?? fallback;
    const n = ++counter;
    if (reply.delayMs) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([new Promise((r) => (timer = setTimeout(r, reply.delayMs))), clientGone]);
      clearTimeout(timer);
      if (recorded.aborted) return;
    }
    const headers = { ...reply.headers };
    if (reply.status && reply.status >= 400) {
      const message = reply.text ?? `Stub error ${reply.status}`;
      res.writeHead(reply.status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(errorBody(kind, reply.status, message)));
      return;
    }
    const prefix = kind === 'anthropic' ? 'toolu' : 'call';
    const ctx: Ctx = {
      n,
      model: typeof body.model === 'string' ? body.model : 'stub-model',
      reply,
      usage: { input: reply.usage?.input ?? 10, output: reply.usage?.output ?? 5, cached: reply.usage?.cached ?? 0 },
      calls: (reply.toolCalls ?? []).map((t, i) => ({ id: t.id ?? `${prefix}_${n}_${i}`, name: t.name, args: t.rawArgs ?? JSON.stringify(t.args) })),
    };
    const stream = kind === 'google' ? googleRoute![1] === 'streamGenerateContent' : body.stream === true;
    const includeUsage = (body.stream_options as { include_usage?: boolean } | undefined)?.include_usage === true;
    const payload =
      kind === 'chat' ? chat(ctx, stream, includeUsage)
      : kind === 'responses' ? responses(ctx, stream)
      : kind === 'anthropic' ? anthropic(ctx, stream)
      : google(ctx, stream);
    const type = stream ? 'text/event-stream' : 'application/json';
    res.writeHead(reply.status ?? 200, { 'content-type': type, ...(stream ? { 'cache-control': 'no-cache' } : {}), ...headers }).end(payload);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify(errorBody('chat', 500, `stub failed: ${String(err)}`)));
    });
  });
  // Keep idle connections longer than the client's pool does (undici: 4 s), so a client never
  // reuses a socket the server is closing (ECONNRESET under load); many clients connect at once.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  server.maxConnections = 10_000;
  await new Promise<void>((resolve) => server.listen({ port: 0, host: '127.0.0.1', backlog: 4096 }, resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    enqueue: (...replies) => void queue.push(...replies),
    reset() {
      queue.length = 0;
      requests.length = 0;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}
