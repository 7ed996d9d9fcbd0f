import { useQuery } from '@tanstack/react-query';
import { useParams } from 'react-router';
import { Breadcrumb, PageHeader } from '../../components/page-header';
import { QueryView } from '../../components/states';
import { approvalsApi, PENDING_POLL_MS } from './api';
import { ApprovalCard } from './approval-card';
import '../runs/runs.css';

/** One approval, as linked from an approver's notification and mail: the card, decidable in place. */
export function ApprovalPage() {
  const { id = '' } = useParams();
  const approval = useQuery({
    queryKey: ['approvals', 'one', id],
    queryFn: ({ signal }) => approvalsApi.get(id, signal),
    refetchInterval: (q) => (q.state.data?.status === 'pending' ? PENDING_POLL_MS : false),
  });
  return (
    <>
      <Breadcrumb to="/approvals">Approvals</Breadcrumb>
      <PageHeader title="Approval" />
      <QueryView query={approval} loadingLabel="Loading the approval…">
        {(a) => <ApprovalCard approval={a} />}
      </QueryView>
    </>
  );
}
