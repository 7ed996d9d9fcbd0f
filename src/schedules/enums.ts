/** Pure file (no imports): shared with the dashboard. The module's tables and services import these. */

export const MISFIRE_POLICIES = ['skip', 'run_once'] as const;
export type MisfirePolicy = (typeof MISFIRE_POLICIES)[number];
