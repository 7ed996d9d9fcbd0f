import { Breadcrumb, PageHeader } from '../../../components/page-header';
import { EmptyState } from '../../../components/states';
import { useSession } from '../../../auth/session';
import { ImportForm } from './import-form';
import '../../../components/data-table.css';
import '../gym.css';

/** `/gym/import`: contacts, subscriptions or payments from a CSV file, checked first. */
export function ImportPage() {
  const { can } = useSession();
  return (
    <>
      <Breadcrumb to="/gym/members">Members and leads</Breadcrumb>
      <PageHeader title="Import from CSV" description="Bring the gym's records over from another system. A file with a bad row imports nothing; each row's problem is listed." />
      {can('member') ? (
        <section className="card">
          <ImportForm />
        </section>
      ) : (
        <EmptyState title="Only for members and above">
          <p>Viewers can read the gym's records but not import them.</p>
        </EmptyState>
      )}
    </>
  );
}
