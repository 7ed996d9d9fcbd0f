import { Outlet, ScrollRestoration } from 'react-router';

/** The root route: every page, signed in or not, renders inside it. */
export function Root() {
  return (
    <>
      <Outlet />
      <ScrollRestoration />
    </>
  );
}
