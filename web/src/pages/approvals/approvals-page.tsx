import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { EmptyState, QueryView } from '../../components/states';
import { PageHeader } from '../../components/page-header';
import { runsApi } from '../runs/api';
import { Pager } from '../runs/pager';
import { PENDING_POLL_MS } from './api';
import { ApprovalCard } from './approval-card';
import '../runs/runs.css';

const LIMIT = 20;
type Tab = 'pending' | 'approved' | 'rejected';

/** The inbox: every tool call waiting for a person, and the ones already decided. */
export function ApprovalsPage() {
  const [tab, setTab] = useState<Tab>('pending');
  const [offset, setOffset] = useState(0);
  const approvals = useQuery({
    queryKey: ['approvals', 'list', { status: tab, offset }],
    queryFn: ({ signal }) => runsApi.approvals({ status: tab, limit: LIMIT, offset }, signal),
    // New calls show up without a reload (paused while the tab is hidden).
    refetchInterval: tab === 'pending' ? PENDING_POLL_MS : false,
  });
  return (
    <>
      <PageHeader title="Approvals" description="Tool calls waiting for a person to approve or reject." />
      <fieldset className="segmented" style={{ marginBottom: 'var(--space-4)' }}>
        <legend>Show</legend>
        {(['pending', 'approved', 'rejected'] as const).map((t) => (
          <label key={t}>
            <input
              type="radio"
              name="approvals-tab"
              value={t}
              checked={tab === t}
              onChange={() => {
                setTab(t);
                setOffset(0);
              }}
            />
            {t === 'pending' ? 'Waiting' : t === 'approved' ? 'Approved' : 'Rejected'}
          </label>
        ))}
      </fieldset>
      <QueryView
        query={approvals}
        loadingLabel="Loading approvals…"
        isEmpty={(d) => d.items.length === 0}
        empty={
          <EmptyState title={tab === 'pending' ? 'Nothing is waiting for you' : `No ${tab} tool calls`}>
            {tab === 'pending' && <p>When an agent wants to call a tool that needs a person’s approval, the call waits here.</p>}
          </EmptyState>
        }
      >
        {(page) => (
          <>
            <section aria-label={tab === 'pending' ? 'Waiting for approval' : `${tab} tool calls`}>
              {page.items.map((a) => (
                <ApprovalCard key={a.id} approval={a} />
              ))}
            </section>
            <Pager label="Approvals pages" offset={offset} limit={LIMIT} total={page.total} onChange={setOffset} />
          </>
        )}
      </QueryView>
    </>
  );
}
