import { describe, expect, it } from 'vitest';
import { evaluate } from './builtin/arithmetic.js';
import { calculator } from './builtin/calculator.js';
import { executeTool } from './execute.js';
import { toolContext } from '../../test/helpers/tool-context.js';

// calculator touches no database, so a context without one is enough.
const ctx = toolContext();

describe('calculator', () => {
  it.each([
    ['1 + 2 * 3', 7],
    ['(1 + 2) * 3', 9],
    ['10 / 4', 2.5],
    ['10 % 3', 1],
    ['2 ^ 10', 1024],
    ['2 ^ 3 ^ 2', 512], // right-associative
    ['2 ** 3', 8],
    ['-2 ^ 2', -4], // power binds tighter than unary minus
    ['2 ^ -1', 0.5],
    ['--3', 3],
    ['-(4 - 6)', 2],
    ['.5 + 1.25', 1.75],
    ['1e3 + 1', 1001],
    ['0.1 + 0.2', 0.3],
    ['sqrt(16) + abs(-3)', 7],
    ['round(2.5)', 3],
    ['round(3.14159, 2)', 3.14],
    ['floor(-1.5) + ceil(1.2)', 0],
    ['min(4, 2, 8) * max(1, 5)', 10],
    ['pi * 2', 6.28318530717959],
    ['-0', 0],
    ['  7  ', 7],
  ])('%s = %s', (expression, expected) => {
    expect(evaluate(expression)).toBe(expected);
  });

  it.each([
    ['1 / 0', /Division by zero/],
    ['5 % 0', /Modulo by zero/],
    ['sqrt(-4)', /negative/],
    ['(1 + 2', /Expected "\)"/],
    ['1 +', /ends too early/],
    ['', /empty/],
    ['2 3', /Unexpected "3"/],
    ['process.exit()', /Unexpected character|Unknown name/],
    ['constructor.constructor("return process")()', /Unexpected character|Unknown name/],
    ['require("fs")', /Unexpected character|Unknown name/],
    ['this', /Unknown name "this"/],
    ['max()', /Unexpected "\)"/],
    ['round(1, 2, 3)', /round takes 1 to 2 arguments/],
    ['10 ^ 400', /not a finite number/],
    ['1; 2', /Unexpected character ";"/],
    ['('.repeat(150) + '1' + ')'.repeat(150), /nested too deeply/],
  ])('refuses %s', (expression, message) => {
    expect(() => evaluate(expression)).toThrow(message);
  });

  it('answers through the tool contract, and refuses code as invalid arguments', async () => {
    expect(await executeTool(calculator, { expression: '6 * 7' }, ctx)).toEqual({ ok: true, output: { expression: '6 * 7', result: 42 } });
    const refused = await executeTool(calculator, { expression: 'process.exit(1)' }, ctx);
    expect(refused).toMatchObject({ ok: false, error: { code: 'invalid_arguments', issues: [{ path: 'input.expression' }] } });
    const missing = await executeTool(calculator, {}, ctx);
    expect(missing).toMatchObject({ ok: false, error: { code: 'invalid_arguments', issues: [{ path: 'input.expression' }] } });
    expect(calculator).toMatchObject({ idempotent: true, requiresApproval: false });
  });
});
