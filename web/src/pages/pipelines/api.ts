import type { z } from 'zod';
import type { createItemBody, createPipelineBody, itemSchema, itemWithHistorySchema, pipelineContextSchema, pipelineSchema, updateItemBody, updatePipelineBody } from '@server/pipelines/dto';
import type { createStaffBody, staffSchema, updateStaffBody } from '@server/staff/dto';
import { ASSIGNMENT_MODES, STAGE_KINDS, type AssignmentMode, type StageKind } from '@server/pipelines/enums';
import type { Role } from '@server/shared/roles';
import { api } from '../../api/client';
import type { Page } from '../../api/types';

/*
 * The endpoints the Pipelines pages use (src/pipelines/routes.ts, src/staff/routes.ts): pipelines
 * with their stages, the items on a board and their history, and the staff directory.
 */

export type Pipeline = z.output<typeof pipelineSchema>;
export type Stage = Pipeline['stages'][number];
export type Item = z.output<typeof itemSchema>;
export type ItemWithHistory = z.output<typeof itemWithHistorySchema>;
export type PipelineContext = z.output<typeof pipelineContextSchema>;
export type Staff = z.output<typeof staffSchema>;
export type CreatePipeline = z.input<typeof createPipelineBody>;
export type UpdatePipeline = z.input<typeof updatePipelineBody>;
export type CreateItem = z.input<typeof createItemBody>;
export type UpdateItem = z.input<typeof updateItemBody>;
export type CreateStaff = z.input<typeof createStaffBody>;
export type UpdateStaff = z.input<typeof updateStaffBody>;
export { ASSIGNMENT_MODES, STAGE_KINDS, type AssignmentMode, type StageKind };

/** Members read and move items; admins configure pipelines and the staff directory. */
export const READ_ROLE: Role = 'member';
export const EDIT_ROLE: Role = 'admin';

export const MODE_LABELS = {
  least_load: 'Least load: the fewest open items',
  round_robin: 'Round robin: the next in turn',
  none: 'Nobody: assign by hand',
} satisfies Record<AssignmentMode, string>;
export const KIND_LABELS = { open: 'Open', done: 'Done', lost: 'Lost' } satisfies Record<StageKind, string>;
export const PRIORITY_LABELS: Record<number, string> = { 1: 'Low', 2: 'Minor', 3: 'Normal', 4: 'High', 5: 'Urgent' };

export interface StaffQuery {
  role?: string;
  q?: string;
  limit?: number;
  offset?: number;
}

const enc = encodeURIComponent;

export const pipelineKeys = {
  all: ['pipelines'] as const,
  list: (archived: string) => ['pipelines', 'list', archived] as const,
  detail: (id: string) => ['pipelines', 'detail', id] as const,
  items: (pipelineId: string, stageId: string) => ['pipelines', 'items', pipelineId, stageId] as const,
  item: (id: string) => ['pipelines', 'item', id] as const,
  staff: (q: StaffQuery) => ['pipelines', 'staff', q] as const,
};

/** Cards loaded per column. */
export const PER_STAGE = 50;

export const pipelinesApi = {
  list: (archived: 'true' | 'false' | 'all', signal?: AbortSignal) => api.get<{ items: Pipeline[] }>('/pipelines', { query: { archived }, signal }),
  get: (id: string, signal?: AbortSignal) => api.get<Pipeline>(`/pipelines/${enc(id)}`, { signal }),
  create: (body: CreatePipeline) => api.post<Pipeline>('/pipelines', body),
  /** `stages` is the whole new list: a stage left out that holds items is a 409 naming it. */
  update: (id: string, body: UpdatePipeline) => api.patch<Pipeline>(`/pipelines/${enc(id)}`, body),
  remove: (id: string) => api.delete(`/pipelines/${enc(id)}`),
  items: (id: string, stageId: string, signal?: AbortSignal) => api.get<Page<Item>>(`/pipelines/${enc(id)}/items`, { query: { stageId, limit: PER_STAGE }, signal }),
  addItem: (id: string, body: CreateItem) => api.post<ItemWithHistory>(`/pipelines/${enc(id)}/items`, body),
  item: (id: string, signal?: AbortSignal) => api.get<ItemWithHistory>(`/pipeline-items/${enc(id)}`, { signal }),
  updateItem: (id: string, body: UpdateItem) => api.patch<ItemWithHistory>(`/pipeline-items/${enc(id)}`, body),

  staff: (query: StaffQuery, signal?: AbortSignal) => api.get<Page<Staff>>('/staff', { query: { ...query }, signal }),
  createStaff: (body: CreateStaff) => api.post<Staff>('/staff', body),
  updateStaff: (id: string, body: UpdateStaff) => api.patch<Staff>(`/staff/${enc(id)}`, body),
  removeStaff: (id: string) => api.delete(`/staff/${enc(id)}`),
};

/** Every active staff member (the assignee pickers): the directory's first 100 by name. */
export const staffQuery = {
  queryKey: pipelineKeys.staff({ limit: 100 }),
  queryFn: ({ signal }: { signal: AbortSignal }) => pipelinesApi.staff({ limit: 100 }, signal),
  staleTime: 30_000,
};
