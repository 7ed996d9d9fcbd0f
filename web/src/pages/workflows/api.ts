import type { z } from 'zod';
import type { NodeType, WorkflowProblem } from '@server/workflows/definition';
import type { versionComparisonSchema, workflowStatsSchema, workflowSummarySchema, workflowVersionSummarySchema } from '@server/workflows/dto';
import type { toolInfoSchema } from '@server/tools/dto';
import type { Role } from '@server/shared/roles';
import { api } from '../../api/client';
import type { Page } from '../../api/types';
import type { Run } from '../runs/api';

/*
 * The endpoints the Workflows pages use: definitions, versions, validation, import and export
 * (src/workflows/routes.ts), and the run API (src/workflows/run-routes.ts): start a run, its node
 * executions, a node tried alone. Runs themselves are read through /runs.
 */

/** Roles the API asks for: definitions are written by admins (routes.ts), runs started by members. */
export const EDIT_ROLE: Role = 'admin';
export const RUN_ROLE: Role = 'member';

// ---- the definition as the builder edits it ----

/** A node as the editor holds it: its config may be half-filled (validation says what is missing). */
export interface EditorNode {
  id: string;
  type: NodeType;
  name?: string;
  position?: { x: number; y: number };
  onError?: { policy: 'fail' | 'continue' | 'retry'; attempts?: number; backoffMs?: number };
  timeoutSeconds?: number;
  config: Record<string, unknown>;
}
export interface EditorEdge {
  source: string;
  target: string;
  sourceHandle: string;
}
export interface EditorGraph {
  nodes: EditorNode[];
  edges: EditorEdge[];
}
/** A workflow definition (docs/workflows.md) with loosely typed parts the forms edit. */
export interface EditorDefinition {
  name: string;
  description?: string;
  tags?: string[];
  inputSchema?: Record<string, unknown>;
  settings?: Record<string, unknown>;
  graph: EditorGraph;
}

export type Problem = WorkflowProblem;

// ---- server shapes ----

/** What GET /workflows adds to each: its latest run and its last 30 days' runs (finished, succeeded, failed, cost). */
export type WorkflowStats = z.output<typeof workflowStatsSchema>;
export type WorkflowSummary = z.output<typeof workflowSummarySchema> & { stats?: WorkflowStats | null };
export type Workflow = WorkflowSummary & { definition: EditorDefinition };
export type WorkflowVersionSummary = z.output<typeof workflowVersionSummarySchema>;
export type WorkflowVersion = WorkflowVersionSummary & { definition: EditorDefinition };
export type VersionComparison = z.output<typeof versionComparisonSchema>;
export type ToolInfo = z.output<typeof toolInfoSchema>;

/** A workflow run: a run with the workflow's id, version (pinned at its start) and JSON result. */
export type WorkflowRun = Run;

export type NodeRunStatus = 'running' | 'waiting' | 'succeeded' | 'failed' | 'skipped';
/**
 * One node execution of a run (`GET /runs/:id/nodes`, the server's NodeExecution); a map body's
 * have keys like `each[2].shape`. `input` is what it received (its upstream nodes' outputs by id);
 * an agent or sub-workflow node's cost is its child runs' (`childRunId` the latest).
 */
export interface NodeRun {
  key: string;
  nodeId: string;
  type: string;
  status: NodeRunStatus;
  /** The output once succeeded, null otherwise. */
  output: unknown;
  /** The edge it took: a condition's `true`/`false`, a switch's case, an approval's decision (null for `out`). */
  handle: string | null;
  error: { code: string; message: string } | null;
  /** What a waiting execution waits for: a timer (`until`), a run (`runId`), an approval (`approvalId`). */
  waitingOn: { kind: string; until?: number; runId?: string; approvalId?: string } | null;
  attempt: number;
  /** Its upstream nodes' outputs by node id; the run's input for the trigger; `{item, index}` at a map body's start. */
  input: unknown;
  childRunId: string | null;
  /** Its child runs' cost (retries and repairs included), micro-dollars. */
  costMicros: number;
  billedMicros: number;
  startedAt: string;
  finishedAt: string | null;
  durationMs: number | null;
}

/** `POST /workflows/:id/nodes/:nodeId/test`: what the node did alone (`runId`: an agent node's run). */
export interface NodeTestResult {
  status: 'succeeded' | 'failed';
  output: unknown;
  handle: string | null;
  error: { code: string; message: string } | null;
  durationMs: number;
  runId: string | null;
}

export interface WorkflowListQuery {
  search?: string;
  archived?: 'false' | 'true' | 'all';
  sortBy?: 'updatedAt' | 'createdAt' | 'name';
  sortOrder?: 'asc' | 'desc';
  limit?: number;
  offset?: number;
}

const path = (id: string) => `/workflows/${encodeURIComponent(id)}`;

export const workflowKeys = {
  all: ['workflows'] as const,
  list: (q: WorkflowListQuery) => ['workflows', 'list', q] as const,
  detail: (id: string) => ['workflows', 'detail', id] as const,
  versions: (id: string) => ['workflows', 'detail', id, 'versions'] as const,
  version: (id: string, version: number) => ['workflows', 'detail', id, 'versions', version] as const,
  compare: (id: string, from: number, to: number) => ['workflows', 'detail', id, 'compare', from, to] as const,
  runs: (id: string) => ['runs', 'workflow', id] as const,
  run: (runId: string) => ['runs', 'detail', runId] as const,
  nodes: (runId: string, status: string) => ['runs', 'detail', runId, 'nodes', status] as const,
};

export const workflowsApi = {
  list: (query: WorkflowListQuery, signal?: AbortSignal) => api.get<Page<WorkflowSummary>>('/workflows', { query: { ...query }, signal }),
  get: (id: string, signal?: AbortSignal) => api.get<Workflow>(path(id), { signal }),
  create: (definition: EditorDefinition) => api.post<Workflow>('/workflows', { definition }),
  /** A new version; 409 version_conflict when another save came first. */
  save: (id: string, definition: EditorDefinition, expectedVersion: number, note?: string) =>
    api.put<Workflow>(path(id), { definition, expectedVersion, ...(note ? { note } : {}) }),
  archive: (id: string) => api.delete(path(id)),
  unarchive: (id: string) => api.post<Workflow>(`${path(id)}/unarchive`),
  validate: (definition: EditorDefinition, workflowId: string | undefined, signal?: AbortSignal) =>
    api.post<{ valid: boolean; problems: Problem[] }>('/workflows/validate', { definition, ...(workflowId ? { workflowId } : {}) }, { signal }),
  versions: (id: string, signal?: AbortSignal) => api.get<Page<WorkflowVersionSummary>>(`${path(id)}/versions`, { query: { limit: 100 }, signal }),
  version: (id: string, version: number, signal?: AbortSignal) => api.get<WorkflowVersion>(`${path(id)}/versions/${version}`, { signal }),
  compare: (id: string, from: number, to: number, signal?: AbortSignal) =>
    api.get<VersionComparison>(`${path(id)}/versions/compare`, { query: { from, to }, signal }),
  restore: (id: string, version: number, expectedVersion: number) => api.post<Workflow>(`${path(id)}/versions/${version}/restore`, { expectedVersion }),
  /** The file's text as the server wrote it, and the name it suggests. */
  exportFile: async (id: string, format: 'json' | 'yaml') => {
    const res = await api.fetch(`${path(id)}/export`, { query: { format } });
    const disposition = res.headers.get('content-disposition') ?? '';
    const filename = /filename="([^"]+)"/.exec(disposition)?.[1] ?? `workflow.workflow.${format}`;
    return { text: await res.text(), filename, type: res.headers.get('content-type') ?? 'application/octet-stream' };
  },
  /** A new workflow from a file's text (JSON or YAML: the server reads both). */
  importFile: async (text: string) => {
    const res = await api.fetch('/workflows/import', { method: 'POST', headers: { 'content-type': 'application/yaml', accept: 'application/json' }, body: text });
    return (await res.json()) as Workflow;
  },
  tools: (signal?: AbortSignal) => api.get<{ items: ToolInfo[] }>('/tools', { signal }),

  // ---- the run API ----
  run: (id: string, input: unknown) => api.post<WorkflowRun>(`${path(id)}/run`, { input }),
  /**
   * This workflow's runs, newest first, whatever started them (the dashboard and the API: source
   * `api`; a schedule; an agent's trigger_workflow). The agent runs its nodes started carry the
   * workflow's id too, but the server's filter leaves them out.
   */
  runs: (id: string, signal?: AbortSignal) => api.get<Page<WorkflowRun>>('/runs', { query: { workflowId: id, limit: 20 }, signal }),
  getRun: (runId: string, signal?: AbortSignal) => api.get<WorkflowRun>(`/runs/${encodeURIComponent(runId)}`, { signal }),
  nodeRuns: (runId: string, signal?: AbortSignal) => api.get<{ items: NodeRun[] }>(`/runs/${encodeURIComponent(runId)}/nodes`, { signal }),
  testNode: (id: string, nodeId: string, body: { definition?: EditorDefinition; input?: unknown; nodes?: Record<string, { output: unknown }> }) =>
    api.post<NodeTestResult>(`${path(id)}/nodes/${encodeURIComponent(nodeId)}/test`, body),
};

/** A run still going (`waiting`: parked on a timer, a child run or a person): the builder keeps polling it. */
export const isRunActive = (status: string | undefined) => status === 'queued' || status === 'running' || status === 'waiting_approval' || status === 'waiting';
