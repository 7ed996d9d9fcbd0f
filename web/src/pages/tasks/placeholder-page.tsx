import { Placeholder } from '../../components/placeholder';

/** PLACEHOLDER: replaced by the Tasks pages (delete this file and update ./routes.tsx). */
export function TasksPlaceholderPage() {
  return <Placeholder title="Tasks" description="Hand agents work, now or on a schedule." />;
}
