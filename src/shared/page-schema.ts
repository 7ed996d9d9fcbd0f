import { z } from 'zod';

// Pure schema file: shared with the dashboard (imports only zod). Cursor helpers stay in pagination.ts.

/**
 * List conventions shared by every list endpoint: `limit` (1–100, default 20) with either
 * `offset` or an opaque `cursor` from the previous page's `nextCursor`; `sortOrder` asc|desc.
 */
export const pageQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  offset: z.coerce.number().int().min(0).max(1_000_000).optional(),
  cursor: z.string().max(500).optional(),
  sortOrder: z.enum(['asc', 'desc']).default('desc'),
});
export type PageQuery = z.infer<typeof pageQuery>;

/** Response envelope for lists: `total` counts every match, not just this page. */
export function pageOf<T extends z.ZodType>(item: T) {
  return z.object({
    items: z.array(item),
    total: z.number().int(),
    limit: z.number().int(),
    offset: z.number().int().nullable(),
    nextCursor: z.string().nullable().describe('Pass as `cursor` for the next page; null on the last page'),
  });
}

export interface Page<T> {
  items: T[];
  total: number;
  /** Only on lists that count up to a cap (keyset.ts `countUpTo`): false when `total` is the cap + 1, a lower bound. */
  totalExact?: boolean;
  limit: number;
  offset: number | null;
  nextCursor: string | null;
}
