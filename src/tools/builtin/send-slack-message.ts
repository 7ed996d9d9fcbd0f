import { z } from 'zod';
import type { Config } from '../../config/load.js';
import { defineTool } from '../define.js';
import { ToolError } from '../errors.js';
import { addressAllowed, hostAllowed, type Allowlist } from '../net/allowlist.js';
import { checkUrl, hostOf } from '../net/guard.js';
import { parseIp } from '../net/ip.js';
import { ToolSettings } from '../settings.js';
import { postJson } from './post-json.js';

const SLACK_HOST = 'hooks.slack.com';

/**
 * Slack's incoming webhooks, or a host the administrator listed (Mattermost and Rocket.Chat speak
 * the same format). Anything else is refused before a connection is made, so the tool cannot be
 * turned into a general POST client.
 */
export function isSlackTarget(text: string, allowlist: Allowlist): boolean {
  const url = checkUrl(text);
  const host = hostOf(url).toLowerCase();
  if (url.protocol === 'https:' && host === SLACK_HOST && url.pathname.startsWith('/services/')) return true;
  const ip = parseIp(host);
  return ip ? addressAllowed(allowlist, ip) : hostAllowed(allowlist, host);
}

/** Posts a message through a Slack incoming webhook URL. */
export const sendSlackMessage = (config: Config) =>
  defineTool({
    name: 'send_slack_message',
    category: 'messaging',
    description:
      'Posts a message to a Slack channel through an incoming webhook URL (https://hooks.slack.com/services/...). ' +
      'text is required (Slack mrkdwn); blocks are optional Block Kit blocks.',
    inputSchema: z.object({
      webhookUrl: z.string().min(1).max(2048).describe('https://hooks.slack.com/services/... or a URL on an allow-listed host'),
      text: z.string().min(1).max(40_000).describe('Message text; also the notification text when blocks are given'),
      blocks: z.array(z.record(z.string(), z.unknown())).max(50).optional().describe('Slack Block Kit blocks'),
    }),
    outputSchema: z.object({ delivered: z.literal(true), status: z.number().int(), response: z.string() }),
    grantRoles: ['admin', 'owner'],
    requiresApproval: false,
    idempotent: false,
    timeoutMs: config.TROUPE_HTTP_TOOL_TIMEOUT_MS + 2_000,
    // The webhook URL is the channel's secret: not repeated.
    describe: (input) => `Post a Slack message: '${input.text.length > 80 ? `${input.text.slice(0, 79)}…` : input.text}'`,
    async execute(input, ctx) {
      const allowlist = await new ToolSettings(ctx.database).allowlist(ctx.orgId);
      if (!isSlackTarget(input.webhookUrl, allowlist)) {
        throw new ToolError(`webhookUrl must be a Slack incoming webhook (https://${SLACK_HOST}/services/...) or on a host an administrator allowed`, 'not_allowed');
      }
      const body = JSON.stringify({ text: input.text, ...(input.blocks ? { blocks: input.blocks } : {}) });
      return { delivered: true as const, ...(await postJson(ctx, input.webhookUrl, body, {}, allowlist)) };
    },
  });
