import type { z } from 'zod';
import type { createDbSourceBody, dbSourceSchema, sourceTableSchema, testResultSchema, updateDbSourceBody } from '@server/db-sources/dto';
import { DB_OPERATIONS, DB_SOURCE_MODES, type DbSourceStatus } from '@server/db-sources/enums';
import { api } from '../../api/client';
import type { BadgeTone } from '../../components/badge';

/*
 * The endpoints of the Databases tab (src/db-sources/routes.ts): an organization's PostgreSQL
 * databases whose table changes become events. Admins only, reading too.
 */

export type DbSource = z.output<typeof dbSourceSchema>;
export type SourceTable = z.output<typeof sourceTableSchema>;
export type TestResult = z.output<typeof testResultSchema>;
export type CreateDbSource = z.input<typeof createDbSourceBody>;
export type UpdateDbSource = z.input<typeof updateDbSourceBody>;
export { DB_OPERATIONS, DB_SOURCE_MODES };

export const STATUS_TONE = { installing: 'info', active: 'success', error: 'danger', disabled: 'neutral' } satisfies Record<DbSourceStatus, BadgeTone>;
export const MODE_LABELS = {
  trigger: 'Trigger: Troupe installs a trigger and listens (every insert, update and delete, at once)',
  poll: 'Poll: Troupe reads rows whose cursor column grew (no trigger needed; insert and update look alike)',
} satisfies Record<(typeof DB_SOURCE_MODES)[number], string>;

const enc = encodeURIComponent;

export const dbSourceKeys = {
  all: ['events', 'db-sources'] as const,
  tables: (id: string) => ['events', 'db-sources', id, 'tables'] as const,
};

export const dbSourcesApi = {
  list: (signal?: AbortSignal) => api.get<{ items: DbSource[] }>('/db-sources', { signal }),
  /** Created switched off when no table is given: its tables come from `tables` next. */
  create: (body: CreateDbSource) => api.post<DbSource>('/db-sources', body),
  /** `warning` says when switching off could not drop the trigger (the database was unreachable). */
  update: (id: string, body: UpdateDbSource) => api.patch<DbSource>(`/db-sources/${enc(id)}`, body),
  remove: (id: string) => api.delete<{ deleted: true; triggerDropped: boolean; warning: string | null }>(`/db-sources/${enc(id)}`),
  tables: (id: string, signal?: AbortSignal) => api.get<{ items: SourceTable[] }>(`/db-sources/${enc(id)}/tables`, { signal }),
  test: (id: string) => api.post<TestResult>(`/db-sources/${enc(id)}/test`, {}),
};
