import { Placeholder } from '../../components/placeholder';

/** PLACEHOLDER: replaced by the Audit pages (delete this file and update ./routes.tsx). */
export function AuditPlaceholderPage() {
  return <Placeholder title="Audit" description="Who changed what, and when." />;
}
