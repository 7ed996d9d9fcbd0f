import { describe, expect, it } from 'vitest';
import { ApiError } from '../../api/errors';
import { zodFieldErrors } from '../../components/use-zod-form';
import { blankToUndefined, friendlyMessage } from '../../components/zod-messages';
import type { Agent } from './api';
import { createFormSchema, formValuesOf, updateFormSchema, withFieldErrors, type AgentFormValues } from './form-values';

/** As useZodForm parses: blanks become undefined, messages for people. */
const parse = (schema: typeof createFormSchema | ReturnType<typeof updateFormSchema>, values: AgentFormValues) =>
  schema.safeParse(blankToUndefined(values), { error: friendlyMessage });

const filled = (patch: Partial<Omit<AgentFormValues, 'limits'>> & { limits?: Partial<AgentFormValues['limits']> } = {}): AgentFormValues => {
  const base = formValuesOf(null);
  return { ...base, name: 'Receptionist', model: 'openai:gpt-4o-mini', ...patch, limits: { ...base.limits, ...patch.limits } };
};

describe('agent form values → API body (server schemas)', () => {
  it('creates: dollars become micro-dollars, lists split on commas, blanks take the defaults', () => {
    const parsed = parse(
      createFormSchema,
      filled({ tags: ' desk, Desk ,front ', tools: ['calculator'], personality: { traits: 'warm, concise', tone: '', behavior: 'calm', languageStyle: '' }, limits: { monthlyBudgetMicros: '$12.50', actionsPerMinute: '30', maxSteps: '' } }),
    );
    expect(parsed.success).toBe(true);
    expect(parsed.data).toMatchObject({
      name: 'Receptionist',
      tags: ['desk', 'front'],
      tools: ['calculator'],
      fallbackModels: [],
      temperature: null,
      personality: { traits: ['warm', 'concise'], behavior: 'calm' },
      memory: { historyLength: 20, contextBudget: null },
      limits: { maxSteps: 10, timeoutSeconds: 300, actionsPerMinute: 30, actionsPerHour: null, monthlyBudgetMicros: 12_500_000 },
    });
    expect(parsed.data).not.toHaveProperty('personality.tone');
  });

  it('names the failing field by its body path, which is the field name', () => {
    const parsed = parse(createFormSchema, filled({ name: '', model: 'nope', temperature: '3', limits: { maxSteps: '500', actionsPerHour: 'abc', monthlyBudgetMicros: '-1' } }));
    expect(parsed.success).toBe(false);
    expect(zodFieldErrors(parsed.error!)).toMatchObject({
      name: 'Required',
      model: expect.stringContaining('must be "provider:model"'),
      temperature: 'Must be at most 2',
      'limits.maxSteps': 'Must be at most 200',
      'limits.actionsPerHour': 'Must be a number',
      'limits.monthlyBudgetMicros': 'Must be at least 0',
    });
  });

  it('edits: sends every field, blanks clear nullable ones, with the version edited and the note', () => {
    const agent = {
      name: 'Receptionist',
      role: '',
      description: '',
      model: 'openai:gpt-4o-mini',
      fallbackModels: [],
      temperature: 0.5,
      maxOutputTokens: null,
      topP: null,
      instructions: 'Hi',
      personality: { traits: ['warm'], tone: 'friendly' },
      tools: ['calculator'],
      memory: { historyLength: 20, contextBudget: null },
      limits: { maxSteps: 10, timeoutSeconds: 300, actionsPerMinute: null, actionsPerHour: null, monthlyBudgetMicros: 5_000_000 },
      tags: [],
      version: 4,
    } as unknown as Agent;
    const values = formValuesOf(agent);
    expect(values.limits.monthlyBudgetMicros).toBe('5');
    const parsed = parse(updateFormSchema(4), { ...values, temperature: '', personality: { ...values.personality, tone: '' }, limits: { ...values.limits, monthlyBudgetMicros: '' }, changeNote: 'Cheaper' });
    expect(parsed.success).toBe(true);
    expect(parsed.data).toMatchObject({ temperature: null, personality: { traits: ['warm'], tone: null }, limits: { monthlyBudgetMicros: null, maxSteps: 10 }, changeNote: 'Cheaper', expectedVersion: 4 });
  });

  it('ties the server errors that name no form field to one: a taken name, a tool in the list', async () => {
    const taken = new ApiError({ status: 409, code: 'agent_name_taken', detail: 'Another agent in this organization is already named "X"' });
    await expect(withFieldErrors(Promise.reject(taken))).rejects.toSatisfy((e: ApiError) => e.fieldError('name') === taken.detail);
    const tool = new ApiError({ status: 400, code: 'invalid_tools', detail: 'no', errors: [{ path: 'body.tools.1', message: 'the member role may not give agents send_email' }] });
    await expect(withFieldErrors(Promise.reject(tool))).rejects.toSatisfy((e: ApiError) => e.fieldError('tools') === 'the member role may not give agents send_email');
  });
});
