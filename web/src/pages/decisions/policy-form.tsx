import { useQueryClient } from '@tanstack/react-query';
import { z } from 'zod';
import { actionSchema, policyBody } from '@server/decisions/dto';
import { Button } from '../../components/button';
import { CheckboxField, FormError, SelectField, TextAreaField, TextField } from '../../components/fields';
import { useZodForm } from '../../components/use-zod-form';
import { ActionsEditor, parseRows, toRows, type ActionRow } from './actions-editor';
import { ACTION_LABELS, ACTION_TYPES, decisionKeys, decisionsApi, type ActionType, type Policy } from './api';

const MODES = ['auto', 'ask', 'never'] as const;
const APPROVER_ROLES = ['member', 'admin', 'owner'] as const;

/** A policy as the form holds it: numbers as typed text, each fallback rule's actions as editor rows. */
interface PolicyValues {
  agentId: string;
  decisionType: string;
  autoExecuteThreshold: string;
  requireApprovalThreshold: string;
  /** Form only: every action the agent has the tool for (`allowedActions: null`). */
  allowEvery: boolean;
  allowedActions: ActionType[];
  actionRules: { type: ActionType; mode: (typeof MODES)[number]; maxRecipients: string }[];
  maxActionsPerMinute: string;
  maxActionsPerHour: string;
  notifyOnHighPriority: boolean;
  notifyOnFailure: boolean;
  escalationEmail: string;
  automationUrl: string;
  approverRole: (typeof APPROVER_ROLES)[number];
  rulesConfidence: string;
  fallbackRules: { intent: string; urgency: string; actions: ActionRow[] }[];
  instructions: string;
  enabled: boolean;
}

const num = (s: string | undefined) => (s === undefined || s.trim() === '' ? undefined : Number(s));
const text = z.string().optional();

/**
 * dto.ts `policyBody` as this form fills it: text to numbers (blank: the default), "every action"
 * to null, each fallback rule's action rows parsed from JSON (a problem named on that rule's
 * action, as the server would name it), then the server's own schema checks the whole.
 */
const formSchema = z
  .object({
    agentId: z.string(),
    decisionType: text,
    autoExecuteThreshold: text,
    requireApprovalThreshold: text,
    allowEvery: z.boolean(),
    allowedActions: z.array(z.enum(ACTION_TYPES)),
    actionRules: z.array(z.object({ type: z.enum(ACTION_TYPES), mode: z.enum(MODES), maxRecipients: z.string() })),
    maxActionsPerMinute: text,
    maxActionsPerHour: text,
    notifyOnHighPriority: z.boolean(),
    notifyOnFailure: z.boolean(),
    escalationEmail: text,
    automationUrl: text,
    approverRole: z.enum(APPROVER_ROLES),
    rulesConfidence: text,
    fallbackRules: z.array(z.object({ intent: z.string(), urgency: z.string(), actions: z.array(z.custom<ActionRow>()) })),
    instructions: text,
    enabled: z.boolean(),
  })
  .superRefine((v, ctx) => {
    v.fallbackRules.forEach((rule, i) => {
      const { actions, errors } = parseRows(rule.actions, `fallbackRules.${i}.actions`);
      for (const [path, message] of Object.entries(errors)) ctx.addIssue({ code: 'custom', path: path.split('.'), message });
      if (Object.keys(errors).length) return;
      actions.forEach((a, j) => {
        const r = actionSchema.safeParse(a);
        if (r.success) return;
        // Named on the action's two fields (type, params as JSON), the path inside params in the message.
        for (const issue of r.error.issues) {
          const [head, ...rest] = issue.path.map(String);
          ctx.addIssue({ code: 'custom', path: ['fallbackRules', i, 'actions', j, head === 'type' ? 'type' : 'params'], message: rest.length ? `${rest.join('.')}: ${issue.message}` : issue.message });
        }
      });
    });
  })
  .transform((v): z.input<typeof policyBody> => ({
    agentId: v.agentId,
    decisionType: v.decisionType ?? null,
    autoExecuteThreshold: num(v.autoExecuteThreshold),
    requireApprovalThreshold: num(v.requireApprovalThreshold),
    allowedActions: v.allowEvery ? null : v.allowedActions,
    actionRules: v.actionRules.map((r) => ({ type: r.type, mode: r.mode, maxRecipients: num(r.maxRecipients) })),
    maxActionsPerMinute: num(v.maxActionsPerMinute) ?? null,
    maxActionsPerHour: num(v.maxActionsPerHour) ?? null,
    notifyOnHighPriority: v.notifyOnHighPriority,
    notifyOnFailure: v.notifyOnFailure,
    escalationEmail: v.escalationEmail ?? null,
    automationUrl: v.automationUrl ?? null,
    approverRole: v.approverRole,
    rulesConfidence: num(v.rulesConfidence),
    fallbackRules: v.fallbackRules.map((r) => ({ intent: r.intent.trim(), urgency: num(r.urgency), actions: parseRows(r.actions).actions })),
    instructions: v.instructions ?? '',
    enabled: v.enabled,
  }))
  .pipe(policyBody);

const str = (n: number | null | undefined) => (n === null || n === undefined ? '' : String(n));

/** The form's values for a saved policy, or a new one with the server's defaults. */
export function toValues(agentId: string, p: Policy | undefined, decisionType = ''): PolicyValues {
  return {
    agentId,
    decisionType: p ? (p.decisionType ?? '') : decisionType,
    autoExecuteThreshold: str(p?.autoExecuteThreshold ?? 0.85),
    requireApprovalThreshold: str(p?.requireApprovalThreshold ?? 0.5),
    allowEvery: !p?.allowedActions,
    allowedActions: p?.allowedActions ?? [],
    actionRules: (p?.actionRules ?? []).map((r) => ({ type: r.type, mode: r.mode, maxRecipients: str(r.maxRecipients) })),
    maxActionsPerMinute: str(p?.maxActionsPerMinute),
    maxActionsPerHour: str(p?.maxActionsPerHour),
    notifyOnHighPriority: p?.notifyOnHighPriority ?? true,
    notifyOnFailure: p?.notifyOnFailure ?? true,
    escalationEmail: p?.escalationEmail ?? '',
    automationUrl: p?.automationUrl ?? '',
    approverRole: p?.approverRole ?? 'member',
    rulesConfidence: str(p?.rulesConfidence ?? 0.6),
    fallbackRules: (p?.fallbackRules ?? []).map((r) => ({ intent: r.intent, urgency: str(r.urgency), actions: toRows(r.actions) })),
    instructions: p?.instructions ?? '',
    enabled: p?.enabled ?? true,
  };
}

/**
 * One policy: thresholds, allowed actions, per-action rules, rate limits, notifications, the
 * escalation address and automation URL, who approves, the rules' confidence and fallback rules,
 * extra instructions, on or off. Admins save it (a new one is created); others read it.
 * `typeEditable`: a new per-type policy, whose decision type is still to be named.
 */
export function PolicyForm({ agentId, policy, initialType = '', typeEditable = false, readOnly, idPrefix, onSaved, onCancel }: {
  agentId: string;
  policy: Policy | undefined;
  initialType?: string;
  typeEditable?: boolean;
  readOnly: boolean;
  idPrefix: string;
  onSaved?: (p: Policy) => void;
  onCancel?: () => void;
}) {
  const queryClient = useQueryClient();
  const form = useZodForm({
    schema: formSchema,
    initial: toValues(agentId, policy, initialType),
    idPrefix,
    submit: (body) => (policy ? decisionsApi.updatePolicy(policy.id, body) : decisionsApi.createPolicy(body)),
    onSuccess: async (saved) => {
      await queryClient.invalidateQueries({ queryKey: decisionKeys.policies(agentId) });
      onSaved?.(saved);
    },
  });
  const v = form.values as PolicyValues;
  const err = (name: string) => form.errorFor(name);
  /** A fallback rule's action errors, for its editor (the server's deeper paths go to the form's error). */
  const rulesErrors = (i: number) => {
    const out: Record<string, string> = {};
    for (const j of v.fallbackRules[i]?.actions.keys() ?? []) {
      for (const name of [`fallbackRules.${i}.actions.${j}.type`, `fallbackRules.${i}.actions.${j}.params`]) {
        const e = err(name);
        if (e) out[name] = e;
      }
    }
    const list = err(`fallbackRules.${i}.actions`);
    if (list) out[`fallbackRules.${i}.actions`] = list;
    return out;
  };
  const setRule = <K extends 'actionRules' | 'fallbackRules'>(key: K, list: PolicyValues[K]) => form.setValue(key, list);

  return (
    <form onSubmit={form.handleSubmit} noValidate className="stack decisions-policy-form" aria-label={policy ? `Policy ${policy.decisionType ?? 'default'}` : 'New policy'}>
      <fieldset className="decisions-policy-fields" disabled={readOnly}>
        {typeEditable && (
          <TextField label="Decision type" required autoComplete="off" spellCheck={false} placeholder="form.submitted, intake, booking" hint="The input's type unless the start names another; letters, digits, _ . : -" {...form.field('decisionType')} />
        )}
        <div className="work-form-grid">
          <TextField label="Auto-execute at or above" type="number" min={0} max={1} step={0.01} inputMode="decimal" hint="Confidence 0–1: at or above, the actions run without a person." {...form.field('autoExecuteThreshold')} />
          <TextField label="Ask a person at or above" type="number" min={0} max={1} step={0.01} inputMode="decimal" hint="Below this, the decision is rejected." {...form.field('requireApprovalThreshold')} />
        </div>

        <fieldset className="decisions-checks">
          <legend>Allowed actions</legend>
          <CheckboxField id={`${idPrefix}-allowEvery`} label="Every action the agent has the tool for" checked={v.allowEvery} onChange={(e) => form.setValue('allowEvery', e.target.checked)} />
          {!v.allowEvery && (
            <div className="decisions-check-grid">
              {ACTION_TYPES.map((t) => (
                <CheckboxField
                  key={t}
                  id={`${idPrefix}-allow-${t}`}
                  label={`${t} (${ACTION_LABELS[t]})`}
                  checked={v.allowedActions.includes(t)}
                  onChange={(e) => form.setValue('allowedActions', e.target.checked ? [...v.allowedActions, t] : v.allowedActions.filter((x) => x !== t))}
                />
              ))}
            </div>
          )}
          {err('allowedActions') && <p className="field-error">{err('allowedActions')}</p>}
        </fieldset>

        <fieldset>
          <legend>Action rules</legend>
          <p className="field-hint">Per action type: run it when the policy says so (auto), always ask first, or never. For SEND_EMAIL, ask when mailing more people than a number.</p>
          <ol className="decisions-editor-list">
            {v.actionRules.map((r, i) => (
              <li key={i} className="decisions-rule-row">
                <SelectField
                  id={`${idPrefix}-actionRules-${i}-type`}
                  name={`actionRules.${i}.type`}
                  label={`Action of rule ${i + 1}`}
                  value={r.type}
                  options={ACTION_TYPES.map((t) => ({ value: t, label: t }))}
                  onChange={(e) => setRule('actionRules', v.actionRules.map((x, j) => (j === i ? { ...x, type: e.target.value as ActionType } : x)))}
                  error={err(`actionRules.${i}.type`)}
                />
                <SelectField
                  id={`${idPrefix}-actionRules-${i}-mode`}
                  name={`actionRules.${i}.mode`}
                  label={`Mode of rule ${i + 1}`}
                  value={r.mode}
                  options={MODES.map((m) => ({ value: m, label: m }))}
                  onChange={(e) => setRule('actionRules', v.actionRules.map((x, j) => (j === i ? { ...x, mode: e.target.value as (typeof MODES)[number] } : x)))}
                  error={err(`actionRules.${i}.mode`)}
                />
                <TextField
                  id={`${idPrefix}-actionRules-${i}-maxRecipients`}
                  name={`actionRules.${i}.maxRecipients`}
                  label={`Max recipients of rule ${i + 1}`}
                  type="number"
                  min={1}
                  inputMode="numeric"
                  value={r.maxRecipients}
                  onChange={(e) => setRule('actionRules', v.actionRules.map((x, j) => (j === i ? { ...x, maxRecipients: e.target.value } : x)))}
                  error={err(`actionRules.${i}.maxRecipients`)}
                />
                <Button className="btn-small" onClick={() => setRule('actionRules', v.actionRules.filter((_, j) => j !== i))} aria-label={`Remove rule ${i + 1}`}>
                  Remove
                </Button>
              </li>
            ))}
          </ol>
          <Button className="btn-small" onClick={() => setRule('actionRules', [...v.actionRules, { type: 'SEND_EMAIL', mode: 'ask', maxRecipients: '' }])}>
            Add action rule
          </Button>
        </fieldset>

        <div className="work-form-grid">
          <TextField label="Actions per minute (at most)" type="number" min={1} inputMode="numeric" hint="Blank: no limit." {...form.field('maxActionsPerMinute')} />
          <TextField label="Actions per hour (at most)" type="number" min={1} inputMode="numeric" hint="Blank: no limit." {...form.field('maxActionsPerHour')} />
        </div>
        <div className="decisions-checks">
          <CheckboxField id={`${idPrefix}-notifyOnHighPriority`} label="Notify staff of high-priority decisions" checked={v.notifyOnHighPriority} onChange={(e) => form.setValue('notifyOnHighPriority', e.target.checked)} />
          <CheckboxField id={`${idPrefix}-notifyOnFailure`} label="Notify staff when a decision fails" checked={v.notifyOnFailure} onChange={(e) => form.setValue('notifyOnFailure', e.target.checked)} />
        </div>
        <div className="work-form-grid">
          <TextField label="Escalation email" type="email" autoComplete="off" hint="Also mailed when a decision fails." {...form.field('escalationEmail')} />
          <TextField label="Automation URL" type="url" autoComplete="off" spellCheck={false} placeholder="https://n8n.example.com/webhook/…" hint="Where TRIGGER_AUTOMATION posts by default (signed, through the egress guard)." {...form.field('automationUrl')} />
          <SelectField label="Who may approve" options={APPROVER_ROLES.map((r) => ({ value: r, label: `${r}s and above` }))} {...form.field('approverRole')} />
          <TextField label="Confidence of a rule decision" type="number" min={0} max={1} step={0.01} inputMode="decimal" hint="When the model is down, the classification rules decide with this." {...form.field('rulesConfidence')} />
        </div>

        <fieldset>
          <legend>Fallback rules</legend>
          <p className="field-hint">What to do when the classification rules label an input with an intent (the model down, or its answer invalid).</p>
          {v.fallbackRules.map((rule, i) => (
            <div key={i} className="decisions-fallback" data-testid="fallback-rule">
              <div className="work-form-grid">
                <TextField
                  id={`${idPrefix}-fallbackRules-${i}-intent`}
                  name={`fallbackRules.${i}.intent`}
                  label={`Intent of fallback rule ${i + 1}`}
                  value={rule.intent}
                  autoComplete="off"
                  onChange={(e) => setRule('fallbackRules', v.fallbackRules.map((x, j) => (j === i ? { ...x, intent: e.target.value } : x)))}
                  error={err(`fallbackRules.${i}.intent`)}
                />
                <TextField
                  id={`${idPrefix}-fallbackRules-${i}-urgency`}
                  name={`fallbackRules.${i}.urgency`}
                  label={`Urgency of fallback rule ${i + 1} (1–5)`}
                  type="number"
                  min={1}
                  max={5}
                  inputMode="numeric"
                  value={rule.urgency}
                  onChange={(e) => setRule('fallbackRules', v.fallbackRules.map((x, j) => (j === i ? { ...x, urgency: e.target.value } : x)))}
                  error={err(`fallbackRules.${i}.urgency`)}
                />
              </div>
              <ActionsEditor
                idPrefix={`${idPrefix}-fb${i}`}
                prefix={`fallbackRules.${i}.actions`}
                legend={`Actions of fallback rule ${i + 1}`}
                rows={rule.actions}
                onChange={(rows) => setRule('fallbackRules', v.fallbackRules.map((x, j) => (j === i ? { ...x, actions: rows } : x)))}
                errors={rulesErrors(i)}
                disabled={readOnly}
              />
              <Button className="btn-small" onClick={() => setRule('fallbackRules', v.fallbackRules.filter((_, j) => j !== i))}>
                Remove fallback rule {i + 1}
              </Button>
            </div>
          ))}
          <Button className="btn-small" onClick={() => setRule('fallbackRules', [...v.fallbackRules, { intent: '', urgency: '', actions: [] }])}>
            Add fallback rule
          </Button>
        </fieldset>

        <TextAreaField label="Instructions for the model" rows={3} hint="Added to the task the model is given." {...form.field('instructions')} />
        <CheckboxField id={`${idPrefix}-enabled`} label="Enabled (off: the model is not asked, the classification rules decide)" checked={v.enabled} onChange={(e) => form.setValue('enabled', e.target.checked)} />
      </fieldset>
      {!readOnly && (
        <>
          <FormError message={form.formError} />
          <div className="form-actions">
            {form.succeeded && (
              <span role="status" className="success">
                Saved.
              </span>
            )}
            {onCancel && <Button onClick={onCancel}>Cancel</Button>}
            <Button type="submit" variant="primary" busy={form.submitting}>
              {policy ? 'Save policy' : 'Create policy'}
            </Button>
          </div>
        </>
      )}
    </form>
  );
}
