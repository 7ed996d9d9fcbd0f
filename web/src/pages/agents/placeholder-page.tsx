import { Placeholder } from '../../components/placeholder';

/** PLACEHOLDER: replaced by the Agents pages (delete this file and update ./routes.tsx). */
export function AgentsPlaceholderPage() {
  return <Placeholder title="Agents" description="Configure agents: model, instructions, personality, tools, limits and budget." />;
}
