import { useQuery } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { useSession } from '../../auth/session';
import { Breadcrumb, PageHeader } from '../../components/page-header';
import { EmptyState, ErrorState, Loading } from '../../components/states';
import { AgentForm } from './agent-form';
import { agentKeys, agentsApi } from './api';
import './agents.css';

function AdminsOnly({ children }: { children: ReactNode }) {
  const { can } = useSession();
  if (can('admin')) return <>{children}</>;
  return (
    <EmptyState title="Admins only" action={<Link to="/agents">Back to agents</Link>}>
      <p>Only admins and owners create and change agents.</p>
    </EmptyState>
  );
}

/** `/agents/new`. */
export function NewAgentPage() {
  const navigate = useNavigate();
  return (
    <>
      <Breadcrumb to="/agents">Agents</Breadcrumb>
      <PageHeader title="New agent" description="A model, instructions, a personality, tools and limits. You can change everything later; every change is kept as a version." />
      <AdminsOnly>
        <AgentForm agent={null} cancelTo="/agents" onSaved={(a) => navigate(`/agents/${a.id}`)} />
      </AdminsOnly>
    </>
  );
}

/** `/agents/:id/edit`. */
export function EditAgentPage() {
  const { id = '' } = useParams();
  const navigate = useNavigate();
  const agent = useQuery({ queryKey: agentKeys.detail(id), queryFn: ({ signal }) => agentsApi.get(id, signal), staleTime: 0, refetchOnWindowFocus: false });
  return (
    <>
      <Breadcrumb to={agent.data ? `/agents/${id}` : '/agents'}>{agent.data?.name ?? 'Agents'}</Breadcrumb>
      <PageHeader title={agent.data ? `Edit ${agent.data.name}` : 'Edit agent'} description={agent.data && `Saving creates version ${agent.data.version + 1}.`} />
      <AdminsOnly>
        {/* Fresh from the server (not the cache), so the form starts from the current version. */}
        {agent.isPending || (!agent.isFetchedAfterMount && !agent.isError) ? (
          <Loading />
        ) : agent.isError ? (
          <ErrorState error={agent.error} onRetry={() => void agent.refetch()} />
        ) : (
          // Saving sends the version the form started from: a change made meanwhile elsewhere is a 409, not overwritten.
          <AgentForm agent={agent.data} cancelTo={`/agents/${id}`} onSaved={(a) => navigate(`/agents/${a.id}?tab=versions`)} />
        )}
      </AdminsOnly>
    </>
  );
}
