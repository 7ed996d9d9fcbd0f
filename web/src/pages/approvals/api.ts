import { api } from '../../api/client';
import type { Approval } from '../runs/api';

/** Calls of the Approvals area beyond the list and decisions (runs/api.ts has those). */
export const approvalsApi = {
  get: (id: string, signal?: AbortSignal) => api.get<Approval>(`/approvals/${encodeURIComponent(id)}`, { signal }),
};

/**
 * How often the waiting approvals are looked at while the tab is visible (TanStack Query pauses
 * interval refetches in a hidden tab, and refetches when it is focused again).
 */
export const PENDING_POLL_MS = 5_000;
