/**
 * The staff directory's formats, with no dependency: the server's schemas and the dashboard's
 * forms share them.
 */

/** A job role: a lowercase word (`sales`, `support`, `front-desk`), what pipelines assign by. */
export const STAFF_ROLE_RE = /^[a-z][a-z0-9_-]{0,39}$/;
export const STAFF_ROLE_HINT = 'a lowercase word of letters, digits, _ and - (sales, support, front-desk)';
/** Roles one staff member may hold. */
export const MAX_STAFF_ROLES = 20;
