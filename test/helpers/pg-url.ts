/** Where the tests find PostgreSQL: TEST_DATABASE_URL, default the local trust-auth server. */
export function adminUrl(database = 'postgres'): string {
  const url = new URL(process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres');
  url.pathname = `/${database}`;
  return url.toString();
}

/** Test databases are named troupe_t…_<pid of the test run>[_<random>]; see global-setup.ts. */
export const TEMPLATE_PREFIX = 'troupe_tpl_';
