import { Placeholder } from '../../components/placeholder';

/** PLACEHOLDER: replaced by the Approvals pages (delete this file and update ./routes.tsx). */
export function ApprovalsPlaceholderPage() {
  return <Placeholder title="Approvals" description="Tool calls waiting for a person to approve or reject." />;
}
