import { Placeholder } from '../../components/placeholder';

/** PLACEHOLDER: replaced by the Usage pages (delete this file and update ./routes.tsx). */
export function UsagePlaceholderPage() {
  return <Placeholder title="Usage" description="What your agents cost, by day, agent and model, against your budget." />;
}
