import { Link } from 'react-router';
import { EmptyState } from '../components/states';
import { PageHeader } from '../components/page-header';

export function NotFoundPage() {
  return (
    <>
      <PageHeader title="Page not found" />
      <EmptyState title="There is no page at this address" action={<Link to="/">Go to the start page</Link>} />
    </>
  );
}
