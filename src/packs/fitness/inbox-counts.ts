import { and, eq, sql } from 'drizzle-orm';
import type { InboxCounter } from '../../inbox/counts.js';
import { roleAtLeast, type Actor } from '../../shared/roles.js';
import { fitnessSmsOutbox, fitnessSocialPosts } from './tools/schema.js';

/**
 * The inbox's counts of the fitness pack's records (`GET /inbox/counts`): scheduled social posts
 * (everyone, as their list) and, for admins and owners (the SMS outbox is theirs), kept and failed SMS.
 */
export const fitnessInboxCounter: InboxCounter = {
  counts(actor: Actor) {
    const sms = (status: 'kept' | 'failed') => sql`select count(*) from ${fitnessSmsOutbox} where ${and(eq(fitnessSmsOutbox.orgId, actor.orgId), eq(fitnessSmsOutbox.status, status))}`;
    return {
      scheduledPosts: sql`select count(*) from ${fitnessSocialPosts} where ${and(eq(fitnessSocialPosts.orgId, actor.orgId), eq(fitnessSocialPosts.status, 'scheduled'))}`,
      ...(roleAtLeast(actor.role, 'admin') ? { keptSms: sms('kept'), failedSms: sms('failed') } : {}),
    };
  },
};
