import { Placeholder } from '../../components/placeholder';

/** PLACEHOLDER: replaced by the Runs pages (delete this file and update ./routes.tsx). */
export function RunsPlaceholderPage() {
  return <Placeholder title="Runs" description="Every execution of an agent, step by step." />;
}
