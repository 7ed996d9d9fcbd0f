/**
 * Roles, weakest first. viewer reads; member uses agents; admin manages agents, keys, members and
 * credentials; owner also manages billing settings and can delete the organization.
 */
export const ROLES = ['viewer', 'member', 'admin', 'owner'] as const;
export type Role = (typeof ROLES)[number];

export const roleRank = (role: Role) => ROLES.indexOf(role);
export const roleAtLeast = (role: Role, min: Role) => roleRank(role) >= roleRank(min);

/**
 * Who is acting, in which organization, with which role. Built by the API's auth hook from a
 * user's access token (plus membership) or an API key, and passed to every service call.
 */
export interface Actor {
  orgId: string;
  role: Role;
  /** Set when a person acts; null for API keys. */
  userId: string | null;
  /** Set when an API key acts. */
  apiKeyId: string | null;
}
