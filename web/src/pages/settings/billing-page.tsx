import { useQuery, useQueryClient } from '@tanstack/react-query';
import { Link } from 'react-router';
import { z } from 'zod';
import { updateOrgBody } from '@server/auth/dto';
import { queryKeys } from '../../api/query-client';
import type { Organization } from '../../api/types';
import { useSession } from '../../auth/session';
import { Button } from '../../components/button';
import { FormError, TextField } from '../../components/fields';
import { EmptyState, QueryView } from '../../components/states';
import { useZodForm } from '../../components/use-zod-form';
import { currentMonth, usageApi, usageKeys } from '../usage/api';
import { dollarTextToMicros, microsToDollarText, numberText, usd } from '../usage/money';
import { settingsApi, settingsKeys } from './api';

/**
 * The form's schema: the API's own fields, read from what a person types. The budget is typed in
 * dollars and sent in micro-dollars; an empty budget removes it (null).
 */
const billingForm = z.object({
  markupPercent: z.preprocess(numberText, updateOrgBody.shape.markupPercent.unwrap()),
  monthlyBudgetMicros: z.preprocess((v) => (v === undefined || v === '' ? null : dollarTextToMicros(v)), updateOrgBody.shape.monthlyBudgetMicros),
});

/** The organization's markup and monthly budget (owners change them); per-agent budgets. */
export function BillingPage() {
  const org = useQuery({ queryKey: settingsKeys.org, queryFn: ({ signal }) => settingsApi.org(signal) });
  return (
    <>
      <QueryView query={org} loadingLabel="Loading billing settings…">
        {(data) => <OrgBillingCard org={data} />}
      </QueryView>
      <AgentBudgetsCard />
    </>
  );
}

function OrgBillingCard({ org }: { org: Organization }) {
  const { can } = useSession();
  const queryClient = useQueryClient();
  const form = useZodForm({
    schema: billingForm,
    initial: { markupPercent: String(org.markupPercent), monthlyBudgetMicros: microsToDollarText(org.monthlyBudgetMicros) },
    idPrefix: 'billing',
    submit: settingsApi.updateOrg,
    onSuccess: (saved) => {
      queryClient.setQueryData(settingsKeys.org, saved);
      void queryClient.invalidateQueries({ queryKey: queryKeys.me });
      void queryClient.invalidateQueries({ queryKey: ['usage'] });
    },
  });
  if (!can('owner')) {
    return (
      <section className="card" aria-labelledby="billing-heading">
        <h2 id="billing-heading">Markup and budget</h2>
        <dl className="stat-row">
          <div>
            <dt>Markup</dt>
            <dd>{org.markupPercent}%</dd>
          </div>
          <div>
            <dt>Monthly budget</dt>
            <dd>{org.monthlyBudgetMicros === null ? 'None' : usd(org.monthlyBudgetMicros)}</dd>
          </div>
        </dl>
        <p className="muted small">Only an owner can change these.</p>
      </section>
    );
  }
  return (
    <section className="card" aria-labelledby="billing-heading">
      <h2 id="billing-heading">Markup and budget</h2>
      <form onSubmit={form.handleSubmit} noValidate className="stack" aria-label="Markup and budget">
        <div className="inline-form">
          <TextField label="Markup (%)" inputMode="decimal" hint="Added to the model cost of every call: 0 to 1000, two decimals at most." required {...form.field('markupPercent')} />
          <TextField
            label="Monthly budget (USD)"
            inputMode="decimal"
            hint="Billed cost per UTC calendar month; runs stop when it is spent. Empty: no budget."
            {...form.field('monthlyBudgetMicros')}
          />
        </div>
        <FormError message={form.formError} />
        {form.succeeded && (
          <p className="success" role="status">
            Saved. New model calls are billed at the new markup within seconds.
          </p>
        )}
        <div className="form-actions">
          <Button type="submit" variant="primary" busy={form.submitting}>
            Save
          </Button>
        </div>
      </form>
    </section>
  );
}

function AgentBudgetsCard() {
  const month = currentMonth();
  const agents = useQuery({ queryKey: settingsKeys.agents, queryFn: ({ signal }) => settingsApi.agents(signal) });
  const usage = useQuery({ queryKey: usageKeys.report(month), queryFn: ({ signal }) => usageApi.report(month, signal) });
  const spent = new Map((usage.data?.byAgent ?? []).map((a) => [a.agentId, a.billedCostMicros]));
  return (
    <section className="card" aria-labelledby="agent-budgets-heading">
      <h2 id="agent-budgets-heading">Agent budgets</h2>
      <p className="muted">Each agent can have its own monthly budget, set on the agent's page (Limits). Spent is this month's billed cost.</p>
      <QueryView
        query={agents}
        loadingLabel="Loading agents…"
        isEmpty={(d) => d.items.length === 0}
        empty={<EmptyState title="No agents yet" action={<Link to="/agents">Go to agents</Link>} />}
      >
        {(data) => (
          <div className="table-scroll">
            <table className="data-table responsive">
              <caption className="visually-hidden">Agents and their monthly budgets</caption>
              <thead>
                <tr>
                  <th scope="col">Agent</th>
                  <th scope="col" className="num">
                    Monthly budget
                  </th>
                  <th scope="col" className="num">
                    Spent this month
                  </th>
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {data.items.map((a) => (
                  <tr key={a.id}>
                    <td data-label="Agent">{a.name}</td>
                    <td data-label="Budget" className="num">{a.limits.monthlyBudgetMicros === null ? 'None' : usd(a.limits.monthlyBudgetMicros)}</td>
                    <td data-label="Spent" className="num">{usd(spent.get(a.id) ?? 0)}</td>
                    <td className="actions">
                      <Link to={`/agents/${a.id}`} aria-label={`Set the budget of ${a.name}`}>
                        Set budget
                      </Link>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </QueryView>
    </section>
  );
}
