import type { z } from 'zod';
import type {
  apiKeySchema,
  invitationSchema,
  memberSchema,
  organizationSchema,
  roleSchema,
  sessionSchema,
  tokenPairSchema,
  userSchema,
} from '@server/auth/dto';

/*
 * Request and response types of the API, derived from the server's own Zod schemas: a response
 * type is the schema's output (what the server sends, e.g. dates as ISO strings), a request body
 * is the schema's input. Add the types of your area here or next to its endpoints; `import type`
 * from any src/ file is always safe (it is erased), value imports only from pure schema files.
 */

export type Role = z.output<typeof roleSchema>;
export type User = z.output<typeof userSchema>;
export type Organization = z.output<typeof organizationSchema>;
export type TokenPair = z.output<typeof tokenPairSchema>;
export type Session = z.output<typeof sessionSchema>;
export type Member = z.output<typeof memberSchema>;
export type Invitation = z.output<typeof invitationSchema>;
export type ApiKey = z.output<typeof apiKeySchema>;

/** `GET /auth/me`. */
export interface Me {
  user: User;
  organizations: Organization[];
}

/** The envelope of every list endpoint (`pageOf` in src/shared/pagination.ts). */
export interface Page<T> {
  items: T[];
  total: number;
  limit: number;
  offset: number | null;
  nextCursor: string | null;
}

/** Query parameters every list endpoint takes. */
export interface PageParams {
  limit?: number;
  offset?: number;
  cursor?: string;
  sortOrder?: 'asc' | 'desc';
}

/** One failing field of a problem response, e.g. `{ path: 'body.limits.maxSteps', message: 'too big' }`. */
export interface FieldError {
  path: string;
  message: string;
}

/** RFC 9457 problem details, as every API error arrives (`problemSchema` in src/api/problem.ts). */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  errors?: FieldError[];
  requestId?: string;
}
