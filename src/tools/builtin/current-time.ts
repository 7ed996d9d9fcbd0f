import { z } from 'zod';
import { ROLES } from '../../shared/roles.js';
import { defineTool } from '../define.js';

export function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** The wall-clock reading of `date` in `timeZone`, from Intl (the ICU time-zone database Node ships). */
export function zonedTime(date: Date, timeZone: string) {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      weekday: 'long',
      timeZoneName: 'longOffset',
    })
      .formatToParts(date)
      .map((p) => [p.type, p.value]),
  );
  // longOffset reads "GMT+05:30", or just "GMT" at UTC.
  const offset = (parts.timeZoneName ?? 'GMT').replace('GMT', '') || '+00:00';
  const local = `${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}:${parts.second}`;
  return { local, offset, weekday: parts.weekday ?? '' };
}

/** Models do not know the time. Harmless, so every role may grant it. */
export const currentTime = defineTool({
  name: 'current_time',
  category: 'utility',
  description:
    'Returns the current date and time: UTC ISO timestamp, and the local date/time, UTC offset and weekday in the given IANA time zone (default UTC).',
  inputSchema: z.object({
    timeZone: z
      .string()
      .max(100)
      .refine(isTimeZone, { message: 'not a known IANA time zone (for example "Europe/Paris" or "America/New_York")' })
      .optional()
      .describe('IANA time zone such as "Europe/Paris"; default UTC'),
  }),
  outputSchema: z.object({
    iso: z.string(),
    unixMs: z.number().int(),
    timeZone: z.string(),
    local: z.string().describe('YYYY-MM-DDTHH:mm:ss in the time zone'),
    utcOffset: z.string(),
    weekday: z.string(),
  }),
  grantRoles: ROLES,
  requiresApproval: false,
  idempotent: true,
  timeoutMs: 1_000,
  async execute(input) {
    const now = new Date();
    // The canonical spelling ("europe/paris" → "Europe/Paris").
    const timeZone = new Intl.DateTimeFormat('en-US', { timeZone: input.timeZone ?? 'UTC' }).resolvedOptions().timeZone;
    const { local, offset, weekday } = zonedTime(now, timeZone);
    return { iso: now.toISOString(), unixMs: now.getTime(), timeZone, local, utcOffset: offset, weekday };
  },
});
