import { isRouteErrorResponse, Link, useRouteError } from 'react-router';
import { errorMessage } from '../api/errors';
import { Button } from '../components/button';
import { usePageTitle } from '../components/page-header';

/**
 * What a page shows when it throws while rendering (or its code fails to load): the error, and
 * a way out. Used by the route table around every page, so the navigation stays usable.
 */
export function RouteErrorBoundary() {
  const error = useRouteError();
  usePageTitle('Error');
  if (isRouteErrorResponse(error) && error.status === 404) {
    return (
      <div className="error-page" role="alert">
        <h1>Page not found</h1>
        <p>
          <Link to="/">Go to the start page</Link>
        </p>
      </div>
    );
  }
  // A new version was deployed and this page's code file is gone: a reload fetches the new one.
  const stale = error instanceof TypeError && /dynamically imported module|Importing a module script failed/i.test(error.message);
  return (
    <div className="error-page" role="alert">
      <h1>{stale ? 'Troupe was updated' : 'Something went wrong'}</h1>
      <p>{stale ? 'Reload the page to get the new version.' : errorMessage(error)}</p>
      <div className="form-actions">
        <Button variant="primary" onClick={() => window.location.reload()}>
          Reload
        </Button>
        <Link className="btn btn-secondary" to="/">
          Start page
        </Link>
      </div>
    </div>
  );
}
