import { and, eq } from 'drizzle-orm';
import { agentNames } from '../agents/lookups.js';
import { membersInRoles } from '../auth/lookups.js';
import { roleAtLeast, ROLES, type Role } from '../shared/roles.js';
import type { Config } from '../config/load.js';
import type { Database } from '../db/client.js';
import type { Logger } from '../shared/logger.js';
import { safeSmtpMessage, sendMail } from '../shared/mail.js';
import { genericDescription } from '../tools/describe.js';
import { notifiedAbout, type NewNotification, type NotificationRow } from '../tools/notifications.js';
import type { RunOrigins } from './approval-view.js';
import type { ToolsPort } from './engine/ports.js';
import { approvals, runs } from './schema.js';

/** The lowest role that may decide on a call of a tool granted to `grantRoles` (RunService.decide's rule; deciding needs member at least). */
export function deciderRole(grantRoles: readonly string[] | undefined): Role {
  const grant = (grantRoles?.length ? grantRoles : ['admin']) as Role[];
  const lowest = grant.reduce<Role>((low, r) => (roleAtLeast(low, r) ? r : low), 'owner');
  return roleAtLeast(lowest, 'member') ? lowest : 'member';
}

export interface ApprovalNoticesDeps {
  database: Database;
  config: Config;
  logger: Logger;
  tools: Pick<ToolsPort, 'get' | 'describeCall'>;
  notifications: { createMany(orgId: string, inputs: NewNotification[]): Promise<NotificationRow[]> };
  origins: Pick<RunOrigins, 'taskTitles' | 'conversationOwner'>;
}

const clip = (text: string, max: number) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

/**
 * Tells the people who may decide a waiting tool call that it waits: an in-app notification each
 * (addressed to the person, so read state is theirs) and, with SMTP_URL set, one mail each with a
 * link to /approvals/<id>. The people: members whose role may decide on the tool (its
 * grantRoles, member at least); for a chat run, only those who may see the conversation (its own
 * person, admins and owners: decision 33). Sent once per approval: a repeated notice finds the
 * notifications already written and does nothing. The mail holds the agent, the task and the
 * one-line description (tools' `describe` leaves secrets out), never the arguments.
 */
export class ApprovalNotices {
  constructor(private readonly deps: ApprovalNoticesDeps) {}

  /** Never throws: a failure is logged (the run waits all the same, and the approvals page lists it). */
  async requested(e: { orgId: string; approvalId: string }): Promise<void> {
    try {
      await this.notify(e.orgId, e.approvalId);
    } catch (err) {
      this.deps.logger.warn({ err, orgId: e.orgId, approvalId: e.approvalId }, 'approvers could not be told of a waiting tool call');
    }
  }

  private async notify(orgId: string, approvalId: string): Promise<void> {
    const { database, config, logger, tools, origins } = this.deps;
    const found = await database.withOrg(orgId, async (tx) => {
      const [row] = await tx
        .select({
          id: approvals.id,
          runId: approvals.runId,
          toolName: approvals.toolName,
          approverRole: approvals.approverRole,
          args: approvals.args,
          status: approvals.status,
          agentId: runs.agentId,
          taskId: runs.taskId,
          conversationId: runs.conversationId,
        })
        .from(approvals)
        .innerJoin(runs, and(eq(runs.id, approvals.runId), eq(runs.orgId, orgId)))
        .where(and(eq(approvals.orgId, orgId), eq(approvals.id, approvalId)));
      if (!row || row.status !== 'pending') return null;
      if (await notifiedAbout(tx, orgId, 'approvalId', approvalId)) return null;
      const needed = (row.approverRole as Role | null) ?? deciderRole(tools.get(row.toolName)?.grantRoles);
      const [names, titles, people, conversationUserId] = await Promise.all([
        agentNames(tx, orgId, row.agentId ? [row.agentId] : []),
        origins.taskTitles(tx, orgId, row.taskId ? [row.taskId] : []),
        membersInRoles(tx, orgId, ROLES.filter((r) => roleAtLeast(r, needed))),
        row.conversationId ? origins.conversationOwner(tx, orgId, row.conversationId) : Promise.resolve(undefined),
      ]);
      const a = {
        ...row,
        agentName: (row.agentId && names.get(row.agentId)) ?? null,
        taskTitle: row.taskId ? (titles.get(row.taskId) ?? null) : null,
        conversationUserId: conversationUserId ?? null,
        inConversation: row.conversationId !== null,
      };
      // A chat's tool call shows what the chat said: only to those who may see the conversation.
      const deciders = a.inConversation ? people.filter((p) => roleAtLeast(p.role, 'admin') || p.userId === a.conversationUserId) : people;
      return { approval: a, deciders };
    });
    if (!found || found.deciders.length === 0) return;
    const { approval: a, deciders } = found;

    const description = tools.describeCall?.(a.toolName, a.args) ?? genericDescription(a.toolName, a.args);
    const agent = a.agentName ?? 'An agent';
    const path = `/approvals/${a.id}`;
    const title = clip(`${agent} asks to: ${description}`, 200);
    const body = clip([a.taskTitle ? `Task: ${a.taskTitle}` : null, `Tool: ${a.toolName}`, 'Approve or reject it on the approvals page.'].filter(Boolean).join('\n'), 5000);
    await this.deps.notifications.createMany(
      orgId,
      deciders.map((p) => ({ userId: p.userId, title, body, level: 'warning' as const, runId: a.runId, data: { kind: 'approval', approvalId: a.id, path } })),
    );

    const smtpUrl = config.SMTP_URL;
    if (!smtpUrl) return;
    const link = `${config.publicUrl}${path}`;
    const text = [
      `${agent} wants to make a tool call that needs a person's approval:`,
      '',
      `  ${description}`,
      '',
      ...(a.taskTitle ? [`Task: ${a.taskTitle}`] : []),
      `Tool: ${a.toolName}`,
      '',
      `Approve or reject it here: ${link}`,
      '',
      'You receive this because your role may decide on this tool. The run waits until someone decides.',
    ].join('\n');
    const subject = clip(`Approval needed: ${agent} asks to ${description}`.replace(/[\r\n]+/g, ' '), 200);
    // One mail per person (no one sees who else was asked); sequential, so a slow server is not hit at once.
    for (const person of deciders) {
      try {
        await sendMail({ SMTP_URL: smtpUrl, SMTP_FROM: config.SMTP_FROM }, { to: person.email, subject, text });
      } catch (err) {
        logger.warn({ orgId, approvalId: a.id, userId: person.userId, error: safeSmtpMessage(err, smtpUrl) }, 'approval mail could not be sent');
      }
    }
    logger.info({ orgId, approvalId: a.id, people: deciders.length, mailed: true }, 'approvers told of a waiting tool call');
  }
}
