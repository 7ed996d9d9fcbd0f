import { createTraceState, isSpanContextValid, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Span, type SpanContext } from '@opentelemetry/api';
import { ATTR_ERROR_TYPE, ATTR_HTTP_REQUEST_METHOD, ATTR_HTTP_RESPONSE_STATUS_CODE, ATTR_HTTP_ROUTE, ATTR_URL_PATH, ATTR_URL_SCHEME } from '@opentelemetry/semantic-conventions';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { RequestScope, Tracing } from './tracing.js';

/** W3C Trace Context `traceparent`: version-traceid-parentid-flags. */
const TRACEPARENT = /^([\da-f]{2})-([\da-f]{32})-([\da-f]{16})-([\da-f]{2})(-.*)?$/;

/** The caller's span from a W3C `traceparent` (and `tracestate`) header; undefined when absent or malformed. */
export function parseTraceparent(header: unknown, state?: unknown): SpanContext | undefined {
  if (typeof header !== 'string') return undefined;
  const m = TRACEPARENT.exec(header.trim());
  if (!m) return undefined;
  const [, version, traceId, spanId, flags, rest] = m;
  // Version ff is invalid; version 00 has nothing after the flags (later versions may).
  if (version === 'ff' || (version === '00' && rest)) return undefined;
  const span: SpanContext = { traceId: traceId!, spanId: spanId!, traceFlags: parseInt(flags!, 16) & 1, isRemote: true };
  if (typeof state === 'string' && state.length <= 512) span.traceState = createTraceState(state);
  return isSpanContextValid(span) ? span : undefined;
}

interface RequestTrace {
  span: Span;
  scope: RequestScope;
  /** What failed, when a handler threw (for 5xx answers). */
  errorType?: string;
}

/**
 * HTTP server spans for API requests (`/api/…`), named `METHOD /route/template`, children of an
 * incoming `traceparent`. The dashboard's files, API docs and probes are left out: they are not
 * the work an operator traces, and the Prometheus histogram has their latency. Registers nothing
 * when tracing is off.
 *
 * While a request runs, `tracing.requests` holds its span, so a run it queues becomes the
 * request's child (same process only; a worker elsewhere starts its own trace).
 */
export function registerTracing(app: FastifyInstance, tracing: Tracing | null): void {
  if (!tracing) return;
  const traces = new WeakMap<FastifyRequest, RequestTrace>();

  app.addHook('onRequest', (request, _reply, done) => {
    if (!request.url.startsWith('/api/')) return done();
    const route = request.routeOptions.url;
    const parent = parseTraceparent(request.headers.traceparent, request.headers.tracestate);
    const span = tracing.tracer.startSpan(
      route ? `${request.method} ${route}` : request.method,
      {
        kind: SpanKind.SERVER,
        attributes: {
          [ATTR_HTTP_REQUEST_METHOD]: request.method,
          [ATTR_URL_PATH]: request.url.split('?', 1)[0]!,
          [ATTR_URL_SCHEME]: request.protocol,
          ...(route ? { [ATTR_HTTP_ROUTE]: route } : {}),
        },
      },
      parent ? trace.setSpanContext(ROOT_CONTEXT, parent) : ROOT_CONTEXT,
    );
    const scope: RequestScope = { span: span.spanContext(), open: true };
    traces.set(request, { span, scope });
    // The rest of the request (hooks, body, handler) runs inside this scope; Fastify 5 keeps it
    // across the body's stream events (tested with a body sent in chunks apart over a socket).
    tracing.requests.run(scope, done);
  });

  app.addHook('onError', (request, reply, error, done) => {
    const t = traces.get(request);
    if (t) t.errorType = (error as { code?: unknown }).code ? String((error as { code?: unknown }).code) : error.name;
    done();
  });

  const end = (request: FastifyRequest, status: number | undefined) => {
    const t = traces.get(request);
    if (!t) return;
    traces.delete(request);
    t.scope.open = false;
    if (status === undefined) {
      // The client went away before the answer.
      t.span.setAttribute(ATTR_ERROR_TYPE, 'aborted');
      t.span.setStatus({ code: SpanStatusCode.ERROR, message: 'client closed the request' });
    } else {
      t.span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, status);
      // Server spans: 4xx is the caller's mistake, not an error of this service.
      if (status >= 500) {
        t.span.setStatus({ code: SpanStatusCode.ERROR });
        t.span.setAttribute(ATTR_ERROR_TYPE, t.errorType ?? String(status));
      }
    }
    t.span.end();
  };
  app.addHook('onResponse', (request, reply, done) => {
    end(request, reply.statusCode);
    done();
  });
  app.addHook('onRequestAbort', (request, done) => {
    end(request, undefined);
    done();
  });
}
