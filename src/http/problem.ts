import type { Duplex } from 'node:stream';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors, isResponseSerializationError } from 'fastify-type-provider-zod';
import { AppError, type FieldError } from '../shared/errors.js';
import type { Problem } from './problem-schema.js';

export { problemResponses, problemSchema, type Problem } from './problem-schema.js';

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  409: 'Conflict',
  413: 'Payload Too Large',
  414: 'URI Too Long',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export function sendProblem(
  reply: FastifyReply,
  status: number,
  code: string,
  detail: string,
  errors?: FieldError[],
  headers?: Record<string, string>,
) {
  const body: Problem = {
    type: `urn:troupe:error:${code}`,
    title: TITLES[status] ?? 'Error',
    status,
    detail,
    code,
    ...(errors?.length ? { errors } : {}),
    requestId: String(reply.request.id),
  };
  if (headers) reply.headers(headers);
  return reply.code(status).type('application/problem+json').serializer(JSON.stringify).send(body);
}

const FASTIFY_CODES: Record<string, string> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'payload_too_large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported_media_type',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'invalid_content_length',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'invalid_body',
  FST_ERR_CTP_INVALID_JSON_BODY: 'invalid_json',
  FST_ERR_VALIDATION: 'validation_failed',
  FST_ERR_BAD_URL: 'bad_url',
  FST_ERR_MAX_PARAM_LENGTH: 'uri_too_long',
};

/** Fastify's own wording names internals or echoes the raw input; these say what to fix. */
const FASTIFY_MESSAGES: Record<string, string> = {
  FST_ERR_CTP_INVALID_JSON_BODY: 'Body is not valid JSON',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'Body is empty, but the content-type says JSON: send a JSON document or no content-type',
  FST_ERR_BAD_URL: 'The URL path has a malformed percent-escape (% must be followed by two hex digits of UTF-8)',
  FST_ERR_MAX_PARAM_LENGTH: 'A path segment is longer than 100 characters',
};

/** Maps every thrown error to a problem response; only genuine faults become 500 (and are logged). */
export function errorHandler(err: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  if (hasZodFastifySchemaValidationErrors(err)) {
    const errors = err.validation.map((v) => ({
      path: [err.validationContext ?? 'request', ...v.instancePath.split('/').filter(Boolean)].join('.'),
      message: v.message ?? 'is invalid',
    }));
    const first = errors[0];
    return sendProblem(reply, 400, 'validation_failed', first ? `${first.path}: ${first.message}` : 'Invalid request', errors);
  }
  if (err instanceof AppError) return sendProblem(reply, err.status, err.code, err.message, err.errors, err.headers);
  if (isResponseSerializationError(err)) {
    request.log.error({ err, issues: err.cause.issues }, 'response did not match its schema');
    return sendProblem(reply, 500, 'internal_error', 'The server produced an invalid response');
  }
  const status = err.statusCode ?? 500;
  if (status >= 400 && status < 500) {
    const code = FASTIFY_CODES[err.code] ?? (status === 429 ? 'rate_limited' : 'bad_request');
    const message = FASTIFY_MESSAGES[err.code] ?? err.message;
    return sendProblem(reply, status, code, message);
  }
  request.log.error({ err }, 'request failed');
  return sendProblem(reply, 500, 'internal_error', 'Something went wrong on our side; the request id helps us find it');
}

/**
 * Errors the router raises before any route or hook runs (Fastify's `frameworkErrors`): a
 * malformed percent-escape in the path (400) and a path segment over the router's 100-character
 * limit (414). Without this they leave as Fastify's plain JSON.
 */
export function frameworkErrorHandler(err: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  // No route means no hooks: the headers the onSend hooks would add are set here.
  reply.headers({ 'x-request-id': String(request.id), 'x-content-type-options': 'nosniff' });
  return errorHandler(err, request, reply);
}

/**
 * Requests Node's HTTP parser rejects before Fastify sees them (a malformed request line,
 * headers over the size limit, a request timeout): answered as problem+json on the raw socket,
 * as Fastify's default handler does with plain JSON.
 */
export function clientErrorHandler(err: NodeJS.ErrnoException, socket: Duplex) {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, code, detail] =
    err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? [408, 'request_timeout', 'The request was not received in time']
      : err.code === 'HPE_HEADER_OVERFLOW'
        ? [431, 'headers_too_large', 'The request line and headers are over the size limit']
        : [400, 'malformed_request', 'The request is not well-formed HTTP'];
  const body = JSON.stringify({ type: `urn:troupe:error:${code}`, title: TITLES[status], status, detail, code });
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${TITLES[status]}\r\nContent-Type: application/problem+json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(err);
}
