import { and, eq, gte, lte, sql } from 'drizzle-orm';
import { z } from 'zod';
import { defineTool } from '../../../tools/define.js';
import { ToolError } from '../../../tools/errors.js';
import { fitnessClasses, fitnessSessions } from '../crm/schema.js';
import { hashtag, PLATFORM_LIMITS } from './automation.js';
import { sessionLines } from './classes.js';
import { gymName } from './delivery.js';
import { SOCIAL_PLATFORMS, type SocialPlatform } from './enums.js';

/*
 * Social content helpers. They call no model: they gather the gym's facts (name, the coming
 * sessions, class descriptions, places left) and the platform's rules, and assemble drafts from
 * fixed patterns, so the agent's own model writes the post from true facts. Same input, same data:
 * same answer.
 */

/** How many hashtags suit each platform by default, and at most. */
const HASHTAG_COUNTS: Record<SocialPlatform, { usual: number; max: number }> = {
  instagram: { usual: 12, max: 30 },
  tiktok: { usual: 5, max: 10 },
  x: { usual: 2, max: 3 },
  facebook: { usual: 3, max: 10 },
  linkedin: { usual: 4, max: 10 },
};

const GENERIC = ['fitness', 'gym', 'workout', 'fitnessmotivation', 'gymlife', 'health', 'training', 'fitfam', 'strong', 'community'];

/** Tags that go with common class types, by a word their name or category contains. */
const TOPICS: [RegExp, string[]][] = [
  [/yoga/, ['yoga', 'yogapractice', 'yogaeveryday', 'mindfulness']],
  [/pilates/, ['pilates', 'pilatesworkout', 'corestrength']],
  [/hiit|interval|bootcamp/, ['hiit', 'hiitworkout', 'cardio', 'fatburn']],
  [/spin|cycl|bike/, ['spinclass', 'indoorcycling', 'cycling', 'cardio']],
  [/box|kickbox|mma/, ['boxing', 'boxingworkout', 'kickboxing']],
  [/strength|lift|weights|barbell|powerlift/, ['strengthtraining', 'weightlifting', 'liftheavy', 'gains']],
  [/crossfit|functional/, ['functionalfitness', 'crossfit', 'wod']],
  [/zumba|dance/, ['zumba', 'dancefitness', 'dancecardio']],
  [/run|running/, ['running', 'runnersofinstagram', 'endurance']],
  [/stretch|mobility/, ['mobility', 'stretching', 'flexibility']],
  [/swim/, ['swimming', 'swimworkout']],
  [/weight ?loss|fat ?loss/, ['weightloss', 'fatloss', 'transformation']],
  [/new ?year|january/, ['newyearnewme', 'newyeargoals']],
  [/summer/, ['summerbody', 'summerfitness']],
  [/motivat/, ['motivation', 'mondaymotivation', 'nevergiveup']],
];

const STOP = new Set(['the', 'and', 'for', 'with', 'our', 'your', 'you', 'this', 'that', 'from', 'are', 'new', 'all', 'get', 'its', 'now', 'week', 'class', 'classes']);

/** PascalCase hashtag of a phrase: "Morning Yoga" → #MorningYoga. */
const phraseTag = (phrase: string) =>
  hashtag(
    phrase
      .split(/[^\p{L}\p{N}]+/u)
      .filter(Boolean)
      .map((w) => w[0]!.toUpperCase() + w.slice(1))
      .join(''),
  );

/**
 * Hashtags for a topic, deterministic: the gym and place, the classes named, tags of the class
 * types the words mention, the topic's own words, then general fitness tags; each once (any case),
 * at most `count`.
 */
export function hashtagsFor(input: { topic: string; platform: SocialPlatform; classNames?: string[]; gym?: string; location?: string; count?: number }): string[] {
  const limit = Math.min(input.count ?? HASHTAG_COUNTS[input.platform].usual, HASHTAG_COUNTS[input.platform].max);
  const text = [input.topic, ...(input.classNames ?? [])].join(' ').toLowerCase();
  const out: string[] = [];
  const seen = new Set<string>();
  const add = (t: string) => {
    const tag = t.startsWith('#') ? t : hashtag(t);
    const key = tag.toLowerCase();
    if (tag.length < 3 || tag.length > 40 || seen.has(key)) return;
    seen.add(key);
    out.push(tag);
  };
  if (input.gym) add(phraseTag(input.gym));
  if (input.location) {
    add(phraseTag(input.location));
    add(phraseTag(`${input.location} fitness`));
  }
  for (const name of input.classNames ?? []) add(phraseTag(name));
  for (const [re, tags] of TOPICS) if (re.test(text)) tags.forEach(add);
  for (const word of input.topic.toLowerCase().split(/[^\p{L}\p{N}]+/u)) if (word.length >= 4 && !STOP.has(word)) add(word);
  GENERIC.forEach(add);
  return out.slice(0, limit);
}

export const generateHashtags = defineTool({
  name: 'generate_hashtags',
  category: 'automation',
  description:
    'Suggests hashtags for a post, deterministically: from the topic, the classes named, the gym and its town, and the usual fitness tags, ' +
    `as many as suit the platform (${Object.entries(HASHTAG_COUNTS)
      .map(([p, c]) => `${p} ${c.usual}`)
      .join(', ')} by default). Nothing is posted.`,
  inputSchema: z.object({
    topic: z.string().trim().min(1).max(500).describe('What the post is about: "new 6am HIIT class", "member of the month"'),
    platform: z.enum(SOCIAL_PLATFORMS).default('instagram'),
    classNames: z.array(z.string().trim().min(1).max(100)).max(10).optional(),
    location: z.string().trim().min(1).max(100).optional().describe('The town or neighbourhood, for a local tag'),
    includeGymName: z.boolean().default(true),
    count: z.number().int().min(1).max(30).optional(),
  }),
  outputSchema: z.object({ platform: z.enum(SOCIAL_PLATFORMS), hashtags: z.array(z.string()), text: z.string() }),
  grantRoles: ['member', 'admin', 'owner'],
  requiresApproval: false,
  idempotent: true,
  timeoutMs: 10_000,
  async execute(input, ctx) {
    const gym = input.includeGymName ? await ctx.database.withOrg(ctx.orgId, (tx) => gymName(tx, ctx.orgId)) : undefined;
    const hashtags = hashtagsFor({ ...input, gym });
    return { platform: input.platform, hashtags, text: hashtags.join(' ') };
  },
});

const CONTENT_KINDS = ['weekly_schedule', 'class_spotlight', 'spots_left', 'motivation', 'event', 'offer'] as const;

const GUIDE: Record<SocialPlatform, string> = {
  instagram: 'A hook in the first line, short paragraphs, a call to action (book via the link in bio), hashtags at the end; emojis welcome.',
  facebook: 'Friendly and informative, a clear call to action and the time and place; few hashtags.',
  x: 'One or two short sentences; one or two hashtags; the most important fact first.',
  tiktok: 'A caption for a short video: a hook, one line of context, a few hashtags.',
  linkedin: 'Professional tone: what is new and who it is for; corporate wellness angle welcome; few hashtags.',
};

/** A time as people read it in the gym's time zone: "Tue 18:30". */
function localSlot(iso: string, timeZone: string) {
  const d = new Date(iso);
  const day = new Intl.DateTimeFormat('en-US', { weekday: 'short', timeZone }).format(d);
  const time = new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit', hour12: false, timeZone }).format(d);
  return `${day} ${time}`;
}

export const validTimeZone = (tz: string) => {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
};

export const generateSocialContent = defineTool({
  name: 'generate_social_content',
  category: 'automation',
  description:
    "Gathers the facts and the rules for writing a social post from the gym's data: the gym's name, the coming sessions (with places left), a " +
    "class's description, the platform's length and style, suggested hashtags, and draft texts assembled from those facts. It calls no model " +
    'and posts nothing: write the post from what it returns, then schedule_social_post.',
  inputSchema: z.object({
    kind: z.enum(CONTENT_KINDS).describe('weekly_schedule, class_spotlight (one class), spots_left (sessions with places), motivation, event, offer'),
    platform: z.enum(SOCIAL_PLATFORMS).default('instagram'),
    theme: z.string().trim().max(300).optional().describe('An angle or occasion: "new year", "beginners welcome"'),
    className: z.string().trim().min(1).max(200).optional().describe('For class_spotlight (else the fullest class is picked)'),
    details: z.string().trim().max(1000).optional().describe('For event and offer: what, when, the terms'),
    days: z.number().int().min(1).max(14).default(7).describe('How far ahead to look for sessions'),
    timeZone: z
      .string()
      .max(64)
      .default('UTC')
      .refine(validTimeZone, 'not a time zone (e.g. America/New_York)')
      .describe("The gym's time zone, for the times shown"),
  }),
  grantRoles: ['member', 'admin', 'owner'],
  requiresApproval: false,
  idempotent: true,
  timeoutMs: 15_000,
  async execute(input, ctx) {
    const now = new Date();
    const until = new Date(now.getTime() + input.days * 86_400_000);
    const { gym, sessions, cls } = await ctx.database.withOrg(ctx.orgId, async (tx) => {
      const gym = await gymName(tx, ctx.orgId);
      const sessions = await sessionLines(tx, ctx.orgId, [gte(fitnessSessions.startsAt, now), lte(fitnessSessions.startsAt, until), eq(fitnessSessions.status, 'scheduled')], 200);
      let cls = null;
      if (input.className) {
        [cls = null] = await tx
          .select({ id: fitnessClasses.id, name: fitnessClasses.name, description: fitnessClasses.description, category: fitnessClasses.category, durationMinutes: fitnessClasses.durationMinutes })
          .from(fitnessClasses)
          .where(and(eq(fitnessClasses.orgId, ctx.orgId), sql`lower(${fitnessClasses.name}) = lower(${input.className})`));
        if (!cls) throw new ToolError(`Class "${input.className}" not found in this organization; search_classes lists them`, 'not_found');
      }
      return { gym, sessions, cls };
    });
    const slot = (s: (typeof sessions)[number]) => `${localSlot(s.startsAt, input.timeZone)} ${s.className}${s.instructor ? ` with ${s.instructor}` : ''}`;
    const withSpace = sessions.filter((s) => s.spotsLeft > 0);
    // The class to feature: the one asked for, else the one with the most bookings coming up.
    const byClass = new Map<string, { name: string; booked: number; sessions: number }>();
    for (const s of sessions) {
      const e = byClass.get(s.classId) ?? { name: s.className, booked: 0, sessions: 0 };
      e.booked += s.booked;
      e.sessions += 1;
      byClass.set(s.classId, e);
    }
    const featured = cls?.name ?? [...byClass.values()].sort((a, b) => b.booked - a.booked || a.name.localeCompare(b.name))[0]?.name ?? null;
    const featuredSessions = sessions.filter((s) => s.className === featured).slice(0, 5);
    const theme = input.theme ? ` (${input.theme})` : '';
    const drafts: string[] = [];
    if (input.kind === 'weekly_schedule') {
      drafts.push(`This week at ${gym}${theme}:\n${sessions.slice(0, 12).map(slot).join('\n')}\nBook your spot now!`);
      drafts.push(`${sessions.length} classes in the next ${input.days} days at ${gym}. Which one are you taking? ${[...byClass.values()].map((c) => c.name).join(', ')}.`);
    } else if (input.kind === 'class_spotlight' && featured) {
      drafts.push(`Spotlight on ${featured} at ${gym}${theme}! ${cls?.description ? `${cls.description.slice(0, 200)} ` : ''}Next up: ${featuredSessions.map(slot).join(', ') || 'new dates soon'}.`);
      drafts.push(`Never tried ${featured}? This is your week. ${featuredSessions[0] ? `Join us ${localSlot(featuredSessions[0].startsAt, input.timeZone)}.` : ''}`);
    } else if (input.kind === 'spots_left') {
      drafts.push(`Last spots this week at ${gym}:\n${withSpace.filter((s) => s.spotsLeft <= 5).slice(0, 8).map((s) => `${slot(s)}: ${s.spotsLeft} left`).join('\n') || withSpace.slice(0, 8).map(slot).join('\n')}\nGrab yours before they are gone!`);
    } else if (input.kind === 'motivation') {
      drafts.push(`Progress, not perfection${theme}. Every class counts. See you at ${gym}!`);
      drafts.push(`Your future self will thank you. ${featured ? `${featured} is waiting for you this week at ${gym}.` : `See you at ${gym}.`}`);
    } else if (input.kind === 'event' || input.kind === 'offer') {
      if (!input.details) throw new ToolError(`Give details for a${input.kind === 'event' ? 'n event' : 'n offer'} post: what, when, the terms`, 'invalid_arguments', [{ path: 'input.details', message: 'required for event and offer' }]);
      drafts.push(`${input.kind === 'event' ? 'Save the date' : 'Limited offer'} at ${gym}${theme}: ${input.details}`);
    }
    const hashtags = hashtagsFor({ topic: [input.kind.replace('_', ' '), input.theme ?? '', featured ?? ''].join(' '), platform: input.platform, classNames: featured ? [featured] : [], gym });
    return {
      gym,
      platform: input.platform,
      rules: { maxCharacters: PLATFORM_LIMITS[input.platform], style: GUIDE[input.platform], hashtags: HASHTAG_COUNTS[input.platform] },
      facts: {
        timeZone: input.timeZone,
        sessionsComing: sessions.length,
        sessionsWithSpace: withSpace.length,
        classes: [...byClass.values()].map((c) => ({ name: c.name, sessions: c.sessions, booked: c.booked })),
        featuredClass: featured ? { name: featured, description: cls?.description || null, next: featuredSessions.map(slot) } : null,
        nextSessions: sessions.slice(0, 15).map((s) => ({ when: slot(s), spotsLeft: s.spotsLeft, capacity: s.capacity, room: s.room })),
        theme: input.theme ?? null,
        details: input.details ?? null,
      },
      drafts: drafts.map((d) => d.trim()),
      hashtags,
    };
  },
});
