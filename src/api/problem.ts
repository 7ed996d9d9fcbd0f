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
  409: 'Conflict',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
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
    const message = err.code === 'FST_ERR_CTP_INVALID_JSON_BODY' ? 'Body is not valid JSON' : err.message;
    return sendProblem(reply, status, code, message);
  }
  request.log.error({ err }, 'request failed');
  return sendProblem(reply, 500, 'internal_error', 'Something went wrong on our side; the request id helps us find it');
}
