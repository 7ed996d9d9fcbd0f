import { describe, expect, it } from 'vitest';
import { setupBody, signUpBody } from '@server/auth/dto';
import { scheduleBody } from '@server/tasks/dto';
import { zodFieldErrors } from './use-zod-form';
import { blankToUndefined, friendlyMessage } from './zod-messages';

describe('form validation with the server schemas', () => {
  it('says Required for empty fields, keeps messages written into the schema, and lets optional fields be blank', () => {
    const parsed = setupBody.safeParse(blankToUndefined({ token: '', email: 'nope', password: 'short', name: '  ', organizationName: '' }), { error: friendlyMessage });
    expect(parsed.success).toBe(false);
    expect(zodFieldErrors(parsed.error!)).toEqual({
      token: 'Required',
      email: 'Enter an email address',
      password: 'must be at least 10 characters',
      name: 'Required',
      organizationName: 'Required',
    });
    const ok = signUpBody.safeParse(blankToUndefined({ email: 'A@B.co', password: 'long enough 1', name: 'Ann', organizationName: '' }), { error: friendlyMessage });
    expect(ok.success && ok.data).toEqual({ email: 'a@b.co', password: 'long enough 1', name: 'Ann' });
  });

  it('asks for a date and time where a schema wants an ISO instant', () => {
    const parsed = scheduleBody.safeParse({ onceAt: '2026-13-45' }, { error: friendlyMessage });
    expect(parsed.success).toBe(false);
    expect(zodFieldErrors(parsed.error!)).toEqual({ onceAt: 'Enter a date and time' });
  });
});
