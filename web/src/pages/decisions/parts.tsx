import type { ReactNode } from 'react';
import { Badge } from '../../components/badge';
import { AreaHeader, type AreaSection } from '../../components/area-header';
import { CodeBlock } from '../runs/code-block';
import { json, label } from '../runs/format';
import { ACTION_LABELS, ACTION_STATUS_TONE, percent, STATUS_LABELS, STATUS_TONE, type Action, type ActionStatus, type Decision, type DecisionStatus } from './api';
import '../../components/data-table.css';
import '../runs/runs.css';
import './decisions.css';

/** The pages of the Decisions area, in the order of its tabs. */
const SECTIONS: AreaSection[] = [
  { to: '/decisions', label: 'Inbox', end: true },
  { to: '/decisions/all', label: 'All decisions', end: false },
  { to: '/decisions/analytics', label: 'Analytics', end: false },
  { to: '/decisions/policies', label: 'Policies', end: false },
];

/** A page of the Decisions area: its heading, then the tabs that move between the area's pages. */
export function DecisionsHeader(props: { title: string; description: ReactNode; actions?: ReactNode }) {
  return <AreaHeader area="Decisions" sections={SECTIONS} tabsClass="decisions-tabs" {...props} />;
}

/** A decision's status as a coloured label (`data-status` for tests and styles). */
export function DecisionStatusBadge({ status }: { status: DecisionStatus }) {
  return (
    <span className="status-badge" data-status={status}>
      <Badge tone={STATUS_TONE[status]}>{STATUS_LABELS[status]}</Badge>
    </span>
  );
}

export function ActionStatusBadge({ status }: { status: ActionStatus }) {
  return (
    <span className="status-badge" data-status={status}>
      <Badge tone={ACTION_STATUS_TONE[status]}>{status}</Badge>
    </span>
  );
}

/** The confidence as a bar and a percentage (the text carries the figure; the bar is decoration). */
export function ConfidenceBar({ value }: { value: number | null }) {
  if (value === null) return <span className="muted">—</span>;
  const tone = value >= 0.85 ? 'high' : value >= 0.5 ? 'mid' : 'low';
  return (
    <span className="decisions-confidence" data-testid="confidence">
      <span className={`decisions-confidence-track decisions-confidence-${tone}`} aria-hidden="true">
        <span className="decisions-confidence-fill" style={{ width: `${Math.round(value * 100)}%` }} />
      </span>
      <span className="decisions-confidence-value">{percent(value)}</span>
    </span>
  );
}

/** Who decided: the model (or the rules, with why the model did not). */
export function SourceText({ decision }: { decision: Pick<Decision, 'source' | 'modelError'> }) {
  if (!decision.source) return <span className="muted">not decided yet</span>;
  return (
    <>
      <Badge tone={decision.source === 'rules' ? 'warning' : 'info'}>{decision.source}</Badge>
      {decision.source === 'rules' && decision.modelError && <span className="decisions-model-error small"> The model did not decide: {decision.modelError}</span>}
    </>
  );
}

/** Contact fields a form or a mail usually carries, shown above the raw data. */
const CONTACT_FIELDS = ['name', 'email', 'phone', 'from', 'subject', 'message', 'text'] as const;

/**
 * What the decision was about: the input's source and type, the contact's name, email and
 * message when the data has them, and the whole data folded as JSON.
 */
export function InputSummary({ input, open = false }: { input: Decision['input']; open?: boolean }) {
  const data = input.data && typeof input.data === 'object' && !Array.isArray(input.data) ? (input.data as Record<string, unknown>) : {};
  const contact = CONTACT_FIELDS.filter((k) => typeof data[k] === 'string' && (data[k] as string).trim() !== '');
  return (
    <div className="decisions-input">
      <p className="small decisions-input-head">
        <code>{input.type}</code> <span className="muted">from {input.source}</span>
      </p>
      {contact.length > 0 && (
        <dl className="decisions-contact">
          {contact.map((k) => (
            <div key={k}>
              <dt>{k}</dt>
              <dd className={k === 'message' || k === 'text' ? 'decisions-message' : undefined}>{clip(data[k] as string, 600)}</dd>
            </div>
          ))}
        </dl>
      )}
      <details className="decisions-data" open={open}>
        <summary className="small">Input data (JSON)</summary>
        <CodeBlock label="Input data">{json(input.data ?? null)}</CodeBlock>
      </details>
    </div>
  );
}

const clip = (s: string, n: number) => (s.length > n ? `${s.slice(0, n)}…` : s);

/** A param's value as text: strings as they are, the rest as compact JSON. */
const paramText = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));

/** Actions as people read them: what each does, its type, and its params one per line. */
export function ActionList({ actions, label: name, results }: { actions: Action[]; label: string; results?: Decision['actionResults'] }) {
  if (actions.length === 0) return <p className="muted small">No actions.</p>;
  return (
    <ol className="decisions-actions" aria-label={name}>
      {actions.map((a, i) => {
        const params = Object.entries(a.params);
        const result = results?.[i];
        return (
          <li key={i} data-action={a.type}>
            <div className="decisions-action-head">
              <strong>{ACTION_LABELS[a.type] ?? label(a.type)}</strong> <code className="small">{a.type}</code>
              {result && <ActionStatusBadge status={result.status} />}
              {result?.tool && <span className="muted small">through {result.tool}</span>}
            </div>
            {params.length > 0 && (
              <dl className="decisions-params">
                {params.map(([k, v]) => (
                  <div key={k}>
                    <dt>{k}</dt>
                    <dd>{clip(paramText(v), 400)}</dd>
                  </div>
                ))}
              </dl>
            )}
            {result?.error && (
              <p className="decisions-error small">
                <code>{result.error.code}</code> {result.error.message}
              </p>
            )}
            {result && result.output !== undefined && result.output !== null && (
              <details>
                <summary className="small">Output</summary>
                <CodeBlock label={`Output of action ${i + 1}`}>{json(result.output)}</CodeBlock>
              </details>
            )}
          </li>
        );
      })}
    </ol>
  );
}

/** Urgency 1–5 as words. */
export function urgencyText(u: number | null): string {
  if (u === null) return '—';
  return `${u} (${['', 'low', 'minor', 'normal', 'high', 'urgent'][u] ?? '?'})`;
}
