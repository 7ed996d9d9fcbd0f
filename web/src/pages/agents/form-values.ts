import { z } from 'zod';
import { agentDraftSchema, createAgentSchema, updateAgentSchema } from '@server/agents/dto';
import { ApiError } from '../../api/errors';
import type { Agent } from './api';
import { dollarsToMicros, microsToDollars } from './format';

/*
 * The agent form's values and how they become the API's body: validated by the server's own
 * schemas (createAgentSchema, updateAgentSchema) after the conversion, so every message names
 * the body path (`limits.maxSteps`), which is also the field's name.
 */

/**
 * What the form holds: text as typed (numbers too), lists as comma-separated text, the budget in
 * dollars. Field names are the body's paths (`limits.maxSteps`), so an error the schema or the
 * server reports for `body.limits.maxSteps` lands next to that field.
 */
export interface AgentFormValues {
  name: string;
  role: string;
  description: string;
  tags: string;
  model: string;
  fallbackModels: string;
  temperature: string;
  topP: string;
  maxOutputTokens: string;
  instructions: string;
  personality: { traits: string; tone: string; behavior: string; languageStyle: string };
  tools: string[];
  approvalTools: string[];
  memory: { historyLength: string; contextBudget: string };
  limits: { maxSteps: string; timeoutSeconds: string; actionsPerMinute: string; actionsPerHour: string; monthlyBudgetMicros: string };
  changeNote?: string;
}

const str = (n: number | null | undefined) => (n === null || n === undefined ? '' : String(n));

export function formValuesOf(agent: Agent | null): AgentFormValues {
  return {
    name: agent?.name ?? '',
    role: agent?.role ?? '',
    description: agent?.description ?? '',
    tags: agent?.tags.join(', ') ?? '',
    model: agent?.model ?? '',
    fallbackModels: agent?.fallbackModels.join(', ') ?? '',
    temperature: str(agent?.temperature),
    topP: str(agent?.topP),
    maxOutputTokens: str(agent?.maxOutputTokens),
    instructions: agent?.instructions ?? '',
    personality: {
      traits: agent?.personality.traits.join(', ') ?? '',
      tone: agent?.personality.tone ?? '',
      behavior: agent?.personality.behavior ?? '',
      languageStyle: agent?.personality.languageStyle ?? '',
    },
    tools: agent?.tools ?? [],
    approvalTools: agent?.approvalTools ?? [],
    memory: { historyLength: str(agent?.memory.historyLength ?? 20), contextBudget: str(agent?.memory.contextBudget) },
    limits: {
      maxSteps: str(agent?.limits.maxSteps ?? 10),
      timeoutSeconds: str(agent?.limits.timeoutSeconds ?? 300),
      actionsPerMinute: str(agent?.limits.actionsPerMinute),
      actionsPerHour: str(agent?.limits.actionsPerHour),
      monthlyBudgetMicros: agent?.limits.monthlyBudgetMicros == null ? '' : microsToDollars(agent.limits.monthlyBudgetMicros),
    },
    ...(agent ? { changeNote: '' } : {}),
  };
}

// After blankToUndefined (useZodForm applies it), an empty field is undefined.
type Typed<T> = { [K in keyof T]?: T[K] extends string ? string : T[K] extends string[] ? string[] : Typed<T[K]> };

/** "12" → 12, "abc" → NaN (the schema says "Must be a number"), blank → `blank`. */
const num = <B,>(v: string | undefined, blank: B) => (v === undefined ? blank : Number(v.trim()));
const list = (v: string | undefined) => (v === undefined ? [] : v.split(',').map((s) => s.trim()).filter(Boolean));
const money = (v: string | undefined) => (v === undefined ? null : dollarsToMicros(v));

/** The form's values as the body of `PATCH /agents/:id` (every field sent: blank clears). */
function toBody(input: unknown): Record<string, unknown> {
  const v = (input ?? {}) as Typed<AgentFormValues>;
  return {
    name: v.name,
    role: v.role ?? '',
    description: v.description ?? '',
    tags: list(v.tags),
    model: v.model,
    fallbackModels: list(v.fallbackModels),
    temperature: num(v.temperature, null),
    topP: num(v.topP, null),
    maxOutputTokens: num(v.maxOutputTokens, null),
    instructions: v.instructions ?? '',
    personality: {
      traits: list(v.personality?.traits),
      tone: v.personality?.tone ?? null,
      behavior: v.personality?.behavior ?? null,
      languageStyle: v.personality?.languageStyle ?? null,
    },
    tools: v.tools ?? [],
    // Only tools the agent keeps: unticking a tool drops its approval setting too.
    approvalTools: (v.approvalTools ?? []).filter((t) => (v.tools ?? []).includes(t)),
    memory: { historyLength: num(v.memory?.historyLength, undefined), contextBudget: num(v.memory?.contextBudget, null) },
    limits: {
      maxSteps: num(v.limits?.maxSteps, undefined),
      timeoutSeconds: num(v.limits?.timeoutSeconds, undefined),
      actionsPerMinute: num(v.limits?.actionsPerMinute, null),
      actionsPerHour: num(v.limits?.actionsPerHour, null),
      monthlyBudgetMicros: money(v.limits?.monthlyBudgetMicros),
    },
  };
}

/** Create: personality texts left blank are left out (the create schema has no null for them). */
function toCreateBody(input: unknown) {
  const body = toBody(input);
  const personality = Object.fromEntries(Object.entries(body.personality as Record<string, unknown>).filter(([, x]) => x !== null));
  return { ...body, personality };
}

function toUpdateBody(expectedVersion: number) {
  return (input: unknown) => ({ ...toBody(input), changeNote: (input as Typed<AgentFormValues>).changeNote, expectedVersion });
}

const LIST_FIELDS = ['tools', 'approvalTools', 'fallbackModels', 'tags', 'personality.traits'];

/**
 * Server errors the API does not tie to a field of this form, tied to one: a taken name (409,
 * no field) to `name`; `body.tools.2` (a tool this role may not grant) to the list field `tools`.
 */
export async function withFieldErrors<T>(call: Promise<T>): Promise<T> {
  try {
    return await call;
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    let errors = err.errors;
    if (err.code === 'agent_name_taken') errors = [{ path: 'body.name', message: err.detail }];
    errors = errors.map((e) => {
      const list = LIST_FIELDS.find((f) => e.path.startsWith(`body.${f}.`));
      return list ? { ...e, path: `body.${list}` } : e;
    });
    throw new ApiError({ status: err.status, code: err.code, detail: err.detail, errors, requestId: err.requestId });
  }
}

/** Create: the form's values → `POST /agents` body, checked by createAgentSchema. */
export const createFormSchema = z.preprocess(toCreateBody, createAgentSchema);
/** Edit: the form's values → `PATCH /agents/:id` body (everything, plus the version edited), checked by updateAgentSchema. */
export const updateFormSchema = (expectedVersion: number) => z.preprocess(toUpdateBody(expectedVersion), updateAgentSchema);
/** Preview: the form's values as a draft for `POST /agents/prompt-preview` (name and model may be missing). */
export const draftFormSchema = z.preprocess(toCreateBody, agentDraftSchema);
