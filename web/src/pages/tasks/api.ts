import type { z } from 'zod';
import type { cronCheckSchema, scheduleSchema } from '@server/schedules/dto';
import type { createTaskBody, taskSchema, taskStatsSchema, TASK_SORTS, updateTaskBody } from '@server/tasks/dto';
import type { TASK_KINDS, TASK_PRIORITIES, TASK_STATUSES } from '@server/tasks/enums';
import { api } from '../../api/client';
import type { Page } from '../../api/types';
import type { Run } from '../runs/api';

export type Task = z.output<typeof taskSchema>;
export type TaskStats = z.output<typeof taskStatsSchema>;
export type Schedule = z.output<typeof scheduleSchema>;
export type CronCheck = z.output<typeof cronCheckSchema>;
export type TaskStatus = (typeof TASK_STATUSES)[number];
export type TaskKind = (typeof TASK_KINDS)[number];
export type TaskPriority = (typeof TASK_PRIORITIES)[number];
export type TaskSort = (typeof TASK_SORTS)[number];

export interface TaskQuery {
  agentId?: string;
  status?: TaskStatus;
  kind?: TaskKind;
  priority?: TaskPriority;
  sortBy?: TaskSort;
  sortOrder?: 'asc' | 'desc';
  limit?: number;
  offset?: number;
}

/** A task whose latest execution is not over: pages showing it keep polling. */
export const isTaskActive = (status: string) => status === 'queued' || status === 'running' || status === 'waiting_approval';

export const tasksApi = {
  list: (query: TaskQuery, signal?: AbortSignal) => api.get<Page<Task>>('/tasks', { query: { ...query }, signal }),
  stats: (signal?: AbortSignal) => api.get<TaskStats>('/tasks/stats', { signal }),
  get: (id: string, signal?: AbortSignal) => api.get<Task>(`/tasks/${id}`, { signal }),
  create: (body: z.output<typeof createTaskBody>) => api.post<Task>('/tasks', body),
  update: (id: string, body: z.output<typeof updateTaskBody>) => api.patch<Task>(`/tasks/${id}`, body),
  remove: (id: string) => api.delete(`/tasks/${id}`),
  execute: (id: string) => api.post<Run>(`/tasks/${id}/execute`),
  executions: (id: string, query: { limit?: number; offset?: number }, signal?: AbortSignal) =>
    api.get<Page<Run>>(`/tasks/${id}/executions`, { query, signal }),
  pause: (scheduleId: string) => api.post<Schedule>(`/schedules/${scheduleId}/pause`),
  resume: (scheduleId: string) => api.post<Schedule>(`/schedules/${scheduleId}/resume`),
  validateCron: (cron: string, timezone: string, signal?: AbortSignal) => api.post<CronCheck>('/schedules/validate', { cron, timezone }, { signal }),
};
