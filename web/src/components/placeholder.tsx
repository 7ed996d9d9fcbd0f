import { EmptyState } from './states';
import { PageHeader } from './page-header';

/**
 * Stands in for an area whose pages are not built yet. Each area's `placeholder-page.tsx` uses
 * it; the helper building the area deletes that file and points the area's routes.tsx at the
 * real pages.
 */
export function Placeholder({ title, description }: { title: string; description: string }) {
  return (
    <>
      <PageHeader title={title} description={description} />
      <EmptyState title="Not built yet">
        <p>This page is coming. Everything it will show is already available in the API: see <a href="/docs">/docs</a>.</p>
      </EmptyState>
    </>
  );
}
