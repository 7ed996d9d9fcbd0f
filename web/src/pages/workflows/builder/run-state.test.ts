import { describe, expect, it } from 'vitest';
import { ApiError } from '../../../api/errors';
import { inputErrors } from './run-state';

describe('the run form', () => {
  it("puts a refused input's problems on the form's fields (400 invalid_input), and nothing else's", () => {
    const refused = new ApiError({
      status: 400,
      code: 'invalid_input',
      detail: 'The input does not fit the workflow input schema',
      errors: [
        { path: 'body.input.email', message: 'Invalid input: expected string, received undefined' },
        { path: 'body.input.lead.name', message: 'Too short' },
        { path: 'body.input', message: 'Unrecognized key: "x"' },
        { path: 'body.input.email', message: 'a second message for the same field' },
      ],
    });
    expect([...inputErrors(refused)]).toEqual([
      ['email', 'Invalid input: expected string, received undefined'],
      ['lead.name', 'Too short'],
      ['', 'Unrecognized key: "x"'],
    ]);
    expect(inputErrors(new ApiError({ status: 400, code: 'validation_error', detail: 'x', errors: [{ path: 'body.input.email', message: 'y' }] })).size).toBe(0);
    expect(inputErrors(new Error('network')).size).toBe(0);
    expect(inputErrors(null).size).toBe(0);
  });
});
