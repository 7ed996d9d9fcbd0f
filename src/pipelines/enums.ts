/**
 * The pipelines module's fixed vocabularies, with no dependency: the server's schemas and the
 * dashboard's board share them.
 */

/** `open` items are being worked on (they count as load); `done` and `lost` are finished. */
export const STAGE_KINDS = ['open', 'done', 'lost'] as const;
export type StageKind = (typeof STAGE_KINDS)[number];

/**
 * How a new item's assignee is chosen among the active staff with the pipeline's role who are
 * under their capacity: the fewest open items (`least_load`), the next in turn (`round_robin`),
 * or nobody (`none`). An explicit assignee always wins.
 */
export const ASSIGNMENT_MODES = ['least_load', 'round_robin', 'none'] as const;
export type AssignmentMode = (typeof ASSIGNMENT_MODES)[number];

/** Who created or changed an item. */
export const ACTOR_KINDS = ['user', 'agent', 'api'] as const;
export type ActorKind = (typeof ACTOR_KINDS)[number];

/** The events items make (source `troupe`), after their change committed. */
export const PIPELINE_EVENT_TYPES = ['pipeline.item.created', 'pipeline.item.stage_changed', 'pipeline.item.assigned'] as const;
export type PipelineEventType = (typeof PIPELINE_EVENT_TYPES)[number];

export const MIN_PRIORITY = 1;
export const MAX_PRIORITY = 5;
export const DEFAULT_PRIORITY = 3;
export const MAX_STAGES = 30;
