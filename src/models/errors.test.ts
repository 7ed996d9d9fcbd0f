import { APICallError, InvalidResponseDataError, LoadAPIKeyError } from '@ai-sdk/provider';
import { describe, expect, it } from 'vitest';
import { AppError } from '../shared/errors.js';
import { classifyModelError, parseRetryAfter, redactKeys } from './errors.js';

const apiError = (statusCode: number | undefined, headers?: Record<string, string>, message = `HTTP ${statusCode}`) =>
  new APICallError({ message, url: 'http://x/v1/chat/completions', requestBodyValues: {}, statusCode, responseHeaders: headers });

describe('classifyModelError', () => {
  it.each([
    [408, true, 'provider_timeout', 'third_party'],
    [409, true, 'provider_conflict', 'third_party'],
    [429, true, 'provider_rate_limited', 'third_party'],
    [500, true, 'provider_unavailable', 'third_party'],
    [503, true, 'provider_unavailable', 'third_party'],
    [529, true, 'provider_unavailable', 'third_party'],
    [400, false, 'provider_rejected_request', 'user'],
    [401, false, 'provider_auth_failed', 'user'],
    [403, false, 'provider_auth_failed', 'user'],
    [404, false, 'provider_model_not_found', 'user'],
  ] as const)('HTTP %i → retryable %s, %s (%s)', (status, retryable, code, category) => {
    expect(classifyModelError(apiError(status))).toMatchObject({ retryable, code, category, status });
  });

  it('reads Retry-After from the provider error', () => {
    expect(classifyModelError(apiError(429, { 'retry-after': '7' })).retryAfterMs).toBe(7000);
    expect(classifyModelError(apiError(429, { 'retry-after-ms': '250' })).retryAfterMs).toBe(250);
    expect(classifyModelError(apiError(429)).retryAfterMs).toBeUndefined();
  });

  it('treats network failures as retryable', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' });
    expect(classifyModelError(new TypeError('fetch failed', { cause: refused }))).toMatchObject({ retryable: true, code: 'provider_unreachable' });
    const reset = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    expect(classifyModelError(reset)).toMatchObject({ retryable: true, code: 'provider_unreachable', category: 'third_party' });
    expect(classifyModelError(new DOMException('timed out', 'TimeoutError'))).toMatchObject({ retryable: true, code: 'provider_timeout' });
    // The SDK's own wrapping of a network error (no status).
    const wrapped = new APICallError({ message: 'Cannot connect to API', url: 'u', requestBodyValues: {}, isRetryable: true });
    expect(classifyModelError(wrapped)).toMatchObject({ retryable: true, code: 'provider_unreachable' });
  });

  it('classifies Troupe and SDK errors that are not HTTP answers', () => {
    expect(classifyModelError(new AppError(422, 'missing_credential', 'No API key for openai'))).toMatchObject({
      retryable: false,
      code: 'missing_credential',
      category: 'user',
    });
    expect(classifyModelError(new LoadAPIKeyError({ message: 'OpenAI API key is missing' }))).toMatchObject({ code: 'missing_credential' });
    expect(classifyModelError(new InvalidResponseDataError({ data: {}, message: 'bad' }))).toMatchObject({ retryable: false, code: 'provider_bad_response' });
    expect(classifyModelError(AbortSignal.abort().reason)).toMatchObject({ retryable: false, code: 'aborted' });
    expect(classifyModelError(new Error('boom'))).toMatchObject({ retryable: false, code: 'model_call_failed', category: 'system' });
  });

  it('judges an AI SDK RetryError by its last error', () => {
    const retryError = Object.assign(new Error('Failed after 3 attempts'), { name: 'AI_RetryError', lastError: apiError(401) });
    expect(classifyModelError(retryError).code).toBe('provider_auth_failed');
  });

  it('never keeps a key in the message', () => {
    const c = classifyModelError(apiError(401, undefined, 'Incorrect API key provided: sk-proj-abcdef123456. Find your key at …'));
    expect(c.message).not.toContain('abcdef');
    expect(redactKeys('key sk-ant-api03-xyz789xyz and AIzaSyA1234567890123456789012')).toBe('key [redacted] and [redacted]');
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2025-01-01T00:00:00Z');
  it.each([
    [{ 'retry-after': '1' }, 1000],
    [{ 'retry-after': '0.5' }, 500],
    [{ 'retry-after': 'Wed, 01 Jan 2025 00:00:30 GMT' }, 30_000],
    [{ 'retry-after': 'Tue, 31 Dec 2024 23:59:00 GMT' }, 0],
    [{ 'retry-after-ms': '1500', 'retry-after': '9' }, 1500],
    [{ 'Retry-After': '3' }, 3000],
    [{ 'retry-after': 'soon' }, undefined],
    [{}, undefined],
  ])('%j → %s ms', (headers, expected) => {
    expect(parseRetryAfter(headers, now)).toBe(expected);
  });
});
