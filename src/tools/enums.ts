/** Pure file (no imports): shared with the dashboard. The module's tables and services import these. */

/** Groups tools in the catalog (`GET /tools`) and the dashboard; the last four are the fitness pack's (docs/fitness.md). */
export const TOOL_CATEGORIES = ['utility', 'web', 'messaging', 'staff', 'support', 'scheduling', 'crm', 'analytics', 'automation', 'fitness'] as const;
export type ToolCategory = (typeof TOOL_CATEGORIES)[number];
export const FOLLOW_UP_STATUSES = ['pending', 'done', 'canceled'] as const;
export type FollowUpStatus = (typeof FOLLOW_UP_STATUSES)[number];
export const FOLLOW_UP_SORTS = ['dueAt', 'createdAt'] as const;
export const NOTIFICATION_LEVELS = ['info', 'warning', 'urgent'] as const;
export type NotificationLevel = (typeof NOTIFICATION_LEVELS)[number];
export const EMAIL_STATUSES = ['kept', 'sent', 'failed'] as const;
export type EmailStatus = (typeof EMAIL_STATUSES)[number];
export const TICKET_STATUSES = ['open', 'in_progress', 'resolved', 'closed'] as const;
export const TICKET_PRIORITIES = ['low', 'normal', 'high', 'urgent'] as const;
export type TicketPriority = (typeof TICKET_PRIORITIES)[number];
