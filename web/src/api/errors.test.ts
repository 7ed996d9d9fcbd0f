import { describe, expect, it } from 'vitest';
import { ApiError, fieldName, toApiError } from './errors';

describe('ApiError', () => {
  it('maps problem field paths to form field names, first message per field', () => {
    const err = new ApiError({
      status: 400,
      code: 'validation_failed',
      detail: 'body.name: Required',
      errors: [
        { path: 'body.name', message: 'Required' },
        { path: 'body.limits.maxSteps', message: 'Too big' },
        { path: 'body.name', message: 'second' },
        { path: 'querystring.limit', message: 'Too small' },
        { path: 'headers.x-org-id', message: 'must be a UUID' },
      ],
    });
    expect(err.fieldErrors()).toEqual({ name: 'Required', 'limits.maxSteps': 'Too big', limit: 'Too small' });
    expect(err.fieldError('limits.maxSteps')).toBe('Too big');
    expect(fieldName('params.id')).toBe('id');
    expect(fieldName('request')).toBeNull();
  });

  it('reads problem+json, and anything else without losing the status', async () => {
    const problem = await toApiError(
      new Response(JSON.stringify({ type: 'urn:troupe:error:email_taken', title: 'Conflict', status: 409, detail: 'taken', code: 'email_taken', requestId: 'r1' }), {
        status: 409,
        headers: { 'content-type': 'application/problem+json' },
      }),
    );
    expect(problem).toMatchObject({ status: 409, code: 'email_taken', detail: 'taken', requestId: 'r1', errors: [] });
    const html = await toApiError(new Response('<html>Bad gateway</html>', { status: 502 }));
    expect(html).toMatchObject({ status: 502, code: 'http_502' });
    expect(html.detail).toMatch(/server failed/);
  });
});
