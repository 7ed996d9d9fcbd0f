import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, json, seedOperator, seedRoles, type TestApp } from '../../../test/helpers/app.js';
import { startProviderStub, type ProviderStub, type StubReply } from '../../../test/helpers/provider-stub.js';
import { firesOf, setNextFire } from '../../../test/helpers/schedule-fixtures.js';
import type { ArrReport, MrrReport } from './analytics/schemas.js';
import { parseCsv } from './crm/csv-parse.js';
import { fillDemoGym } from './demo/service.js';
import { truthOf } from './demo/truth.js';
import type { DemoGym } from './demo/rows.js';

/**
 * The story of issue 14: the weekly revenue report on a cron schedule (Monday 09:00
 * America/New_York) mails MRR and ARR equal to the ground truth. The owner installs the Financial
 * Analyst and gives it a scheduled task through the API; the app's own scheduler fires it and the
 * app's worker runs it (source `schedule`). The model is scripted, but it reads the figures it
 * mails from the tools' results in its request: the tools, the demo gym, the outbox are real.
 */

const TZ = 'America/New_York';
/** What the dashboard's "Every week" preset makes of Monday at 09:00 (web/src/pages/tasks/schedule-presets.ts). */
const MONDAY_NINE = '0 9 * * 1';
const DAY_MS = 86_400_000;

/**
 * Monday 09:00 in New York as UTC instants, for the Mondays from two weeks before `around` to
 * seven weeks after, computed from the US rule (since 2007) rather than a time-zone library:
 * daylight time (UTC-4) from the second Sunday of March to the first Sunday of November, standard
 * time (UTC-5) otherwise. A Monday is never a switch day, so its date alone decides.
 */
function nyMondayNines(around: Date): Date[] {
  const firstSundayFrom = (y: number, month: number, day: number) => day + ((7 - new Date(Date.UTC(y, month, day)).getUTCDay()) % 7);
  const day0 = Date.UTC(around.getUTCFullYear(), around.getUTCMonth(), around.getUTCDate());
  const out: Date[] = [];
  for (let i = -14; i <= 50; i++) {
    const d = new Date(day0 + i * DAY_MS);
    if (d.getUTCDay() !== 1) continue;
    const [y, m, dd] = [d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()];
    const day = Date.UTC(y, m, dd);
    const summer = day > Date.UTC(y, 2, firstSundayFrom(y, 2, 8)) && day < Date.UTC(y, 10, firstSundayFrom(y, 10, 1));
    out.push(new Date(Date.UTC(y, m, dd, 9 + (summer ? 4 : 5))));
  }
  return out;
}
const nextNine = (now: Date) => nyMondayNines(now).filter((t) => t > now);
const latestNineAtOrBefore = (now: Date) => nyMondayNines(now).filter((t) => t <= now).at(-1)!;

/** "Monday 09:00" when the instant is Monday 09:00 in New York (ICU's zone data: a second, independent opinion). */
const inNewYork = (d: Date) => new Intl.DateTimeFormat('en-US', { timeZone: TZ, weekday: 'long', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(d).replace(',', '');

/** Micro-dollars as the reports show an amount of a dollar or more: "$12,345.68" (cents rounded half up). */
function usd(micros: number): string {
  const cents = Math.floor((micros + 5_000) / 10_000);
  const whole = Math.floor(cents / 100).toLocaleString('en-US');
  return `$${whole}.${String(cents % 100).padStart(2, '0')}`;
}

/** The Chat Completions messages the engine sends (the OpenAI provider's default API). */
type ChatMessage =
  | { role: 'system' | 'user'; content: string | { type: string; text?: string }[] }
  | { role: 'assistant'; content: string | null; tool_calls?: { id: string; function: { name: string; arguments: string } }[] }
  | { role: 'tool'; tool_call_id: string; content: string };

const textOf = (content: string | { type: string; text?: string }[] | null) => (typeof content === 'string' ? content : (content ?? []).map((p) => p.text ?? '').join(''));

/** The tools' answers in a request, by tool name (the latest of each), parsed from their JSON. */
function toolResults(messages: ChatMessage[]): Map<string, unknown> {
  const names = new Map<string, string>();
  const out = new Map<string, unknown>();
  for (const m of messages) {
    if (m.role === 'assistant') for (const c of m.tool_calls ?? []) names.set(c.id, c.function.name);
    if (m.role === 'tool') out.set(names.get(m.tool_call_id) ?? '?', JSON.parse(m.content) as unknown);
  }
  return out;
}

/**
 * The Financial Analyst's model: first it asks for MRR and ARR as of the fire; then it mails the
 * owner (the address is in its task) the figures it finds in the tools' answers; then it says so.
 */
function analystModel(fireAt: () => Date): (request: { body: Record<string, unknown> }) => StubReply | undefined {
  return ({ body }) => {
    const messages = body.messages as ChatMessage[] | undefined;
    if (!messages || !textOf(messages[0]?.content ?? null).includes('Financial Analyst')) return undefined;
    const results = toolResults(messages);
    if (results.has('send_report_email')) return { text: 'The weekly revenue report is in the owner’s inbox.' };
    const mrr = results.get('calculate_mrr') as MrrReport | undefined;
    const arr = results.get('calculate_arr') as ArrReport | undefined;
    if (!mrr || !arr) {
      const asOf = fireAt().toISOString();
      return { toolCalls: [{ name: 'calculate_mrr', args: { asOf, months: 0 } }, { name: 'calculate_arr', args: { asOf } }] };
    }
    const task = messages.filter((m) => m.role === 'user').map((m) => textOf(m.content)).join('\n');
    const to = /[\w.+-]+@[\w-]+(?:\.[\w-]+)+/.exec(task)?.[0];
    if (!to) return { text: 'I do not know whom to send the report to.' };
    return {
      toolCalls: [
        {
          name: 'send_report_email',
          args: {
            to: [to],
            subject: `Weekly revenue report, as of ${mrr.asOf}`,
            summary: `MRR is ${mrr.mrr.display} and ARR is ${arr.arr.display} (${mrr.activeSubscriptions} active subscriptions), as of ${mrr.asOf}.`,
            columns: ['Metric', 'Amount', 'As of'],
            rows: [
              ['MRR', mrr.mrr.display, mrr.asOf],
              ['ARR', arr.arr.display, arr.asOf],
            ],
            filename: 'weekly-revenue.csv',
          },
        },
      ],
    };
  };
}

describe('story: the weekly revenue report on a cron schedule', () => {
  let t: TestApp;
  let stub: ProviderStub;
  let r: Awaited<ReturnType<typeof seedRoles>>;
  /** The Monday 09:00 (New York) the schedule fires for: the latest one before the test. */
  let fireAt: Date;
  let gym: DemoGym;

  beforeAll(async () => {
    fireAt = latestNineAtOrBefore(new Date());
    stub = await startProviderStub({ respond: analystModel(() => fireAt) });
    t = await createTestApp('postgres', { OPENAI_API_KEY: 'sk-test', OPENAI_BASE_URL: `${stub.url}/v1` });
    r = await seedRoles(t.ctx);
    // The demo gym as of that Monday 09:00: POST /fitness/demo always takes today 00:00 UTC.
    ({ gym } = await fillDemoGym(t.ctx.database, r.owner.orgId, { seed: 14, members: 150, asOf: fireAt }));
  });
  afterAll(async () => {
    await t?.close();
    await stub?.close();
  });

  const api = async (method: 'GET' | 'POST', url: string, payload?: Record<string, unknown>, headers = r.owner.headers) => {
    const res = await t.app.inject({ method, url: `/api/v1${url}`, headers, ...(payload ? { payload } : {}) });
    expect(res.statusCode, `${method} ${url}: ${res.body}`).toBeLessThan(300);
    return res;
  };

  it('"Monday 09:00 America/New_York" is 14:00 UTC in winter and 13:00 UTC in summer, across the switches', async () => {
    // The service's clock can be set; the route's is now (checked in the story below).
    for (const now of ['2027-01-05T12:00:00Z', '2027-03-02T12:00:00Z', '2027-07-06T12:00:00Z', '2027-10-19T12:00:00Z']) {
      const check = t.ctx.services.schedules.validate(MONDAY_NINE, TZ, { now: new Date(now) });
      expect(check.next.map((d) => d.toISOString()), now).toEqual(nextNine(new Date(now)).slice(0, 5).map((d) => d.toISOString()));
    }
    const hoursUtc = (now: string) => t.ctx.services.schedules.validate(MONDAY_NINE, TZ, { now: new Date(now) }).next.map((d) => d.toISOString().slice(0, 16));
    expect(hoursUtc('2027-01-05T12:00:00Z')[0]).toBe('2027-01-11T14:00');
    expect(hoursUtc('2027-07-06T12:00:00Z')[0]).toBe('2027-07-12T13:00');
    // Daylight time starts on Sunday 14 March 2027 and ends on Sunday 7 November 2027.
    expect(hoursUtc('2027-03-02T12:00:00Z').slice(0, 3)).toEqual(['2027-03-08T14:00', '2027-03-15T13:00', '2027-03-22T13:00']);
    expect(hoursUtc('2027-10-19T12:00:00Z').slice(0, 4)).toEqual(['2027-10-25T13:00', '2027-11-01T13:00', '2027-11-08T14:00', '2027-11-15T14:00']);
  });

  it('fires the Financial Analyst on Monday 09:00 New York time and mails MRR and ARR equal to the ground truth', async () => {
    const owner = r.owner;
    for (const tool of ['calculate_mrr', 'calculate_arr', 'send_report_email']) expect(t.ctx.services.tools.get(tool), `the tool ${tool} is registered`).toBeDefined();

    // The owner installs the template (send_report_email may be granted by admins and owners only).
    const installed = json<{ agent: { id: string; tools: string[] } }>(await api('POST', '/agent-templates/financial-analyst/install', {}));
    expect(installed.agent.tools).toEqual(expect.arrayContaining(['calculate_mrr', 'calculate_arr', 'send_report_email']));

    // ... and gives it a weekly task: Monday 09:00 in New York.
    const validated = json<{ next: string[] }>(await api('POST', '/schedules/validate', { cron: MONDAY_NINE, timezone: TZ }));
    const createdAt = new Date();
    const task = json<{ id: string; kind: string; nextRunAt: string; schedule: { id: string; cron: string; timezone: string; nextFireAt: string } }>(
      await api('POST', '/tasks', {
        agentId: installed.agent.id,
        title: 'Weekly revenue report',
        instructions: `Every Monday morning: compute the MRR and ARR and mail the revenue report to ${owner.email}.`,
        schedule: { cron: MONDAY_NINE, timezone: TZ },
      }),
    );
    const expectedNext = nextNine(createdAt)[0]!;
    expect(task).toMatchObject({ kind: 'scheduled', nextRunAt: expectedNext.toISOString(), schedule: { cron: MONDAY_NINE, timezone: TZ, nextFireAt: expectedNext.toISOString() } });
    expect(inNewYork(new Date(task.schedule.nextFireAt))).toBe('Monday 09:00');
    expect(validated.next).toEqual(nextNine(createdAt).slice(0, 5).map((d) => d.toISOString()));
    for (const at of validated.next) expect(inNewYork(new Date(at))).toBe('Monday 09:00');

    // The schedule fires. Rather than wait for Monday, its due time goes back to the latest Monday
    // 09:00, as after downtime: the misfire policy (run_once) fires that time once, through the
    // app's own scheduler (a pass run by an instance operator) and its worker.
    expect(inNewYork(fireAt)).toBe('Monday 09:00');
    await setNextFire(t.ctx.database, task.schedule.id, fireAt);
    const operator = await seedOperator(t.ctx, 'viewer', owner.orgId);
    const check = json<{ ran: boolean; fired: number }>(await api('POST', '/scheduler/check', undefined, operator.headers));
    expect(check).toMatchObject({ ran: true, fired: 1 });
    const fires = await firesOf(t.ctx.database, task.schedule.id);
    expect(fires).toEqual([expect.objectContaining({ fireAt, outcome: 'fired', runId: expect.any(String) })]);
    const runId = fires[0]!.runId!;
    const actor = { orgId: owner.orgId, role: 'owner' as const, userId: owner.userId, apiKeyId: null };
    expect((await t.ctx.services.runs.waitForRest(actor, runId, 30_000)).status).toBe('succeeded');

    const run = json<{ source: string; status: string; taskId: string; output: string }>(await api('GET', `/runs/${runId}`));
    expect(run).toMatchObject({ source: 'schedule', status: 'succeeded', taskId: task.id, output: 'The weekly revenue report is in the owner’s inbox.' });
    // It fired for that Monday and comes back next Monday.
    const schedule = json<{ nextFireAt: string; lastFireAt: string }>(await api('GET', `/schedules/${task.schedule.id}`));
    expect(schedule).toMatchObject({ lastFireAt: fireAt.toISOString(), nextFireAt: expectedNext.toISOString() });

    // The ground truth as of the fire, from the generator's rows.
    const truthMrr = truthOf(gym, 'calculate_mrr', { asOf: fireAt.toISOString(), months: 0 }) as MrrReport;
    const truthArr = truthOf(gym, 'calculate_arr', { asOf: fireAt.toISOString() }) as ArrReport;
    expect(truthMrr.mrr.micros).toBeGreaterThan(0);
    expect(truthArr.arr.micros).toBe(truthMrr.mrr.micros * 12);
    const mrr = usd(truthMrr.mrr.micros);
    const arr = usd(truthArr.arr.micros);
    expect([truthMrr.mrr.display, truthArr.arr.display]).toEqual([mrr, arr]);

    // One mail, to the owner, from this run, with the figures to the cent in its text, HTML and CSV.
    const outbox = json<{ items: { id: string; to: string[]; subject: string; text: string; html: string | null; runId: string; attachments: { index: number; filename: string; contentType: string }[] }[] }>(
      await api('GET', '/outbox'),
    );
    expect(outbox.items).toHaveLength(1);
    const mail = outbox.items[0]!;
    expect(mail).toMatchObject({ to: [owner.email], runId, subject: `Weekly revenue report, as of ${fireAt.toISOString()}` });
    const summary = `MRR is ${mrr} and ARR is ${arr} (${truthMrr.activeSubscriptions} active subscriptions)`;
    expect(mail.text).toContain(summary);
    expect(mail.text).toContain(`MRR | ${mrr} | ${fireAt.toISOString()}`);
    expect(mail.text).toContain(`ARR | ${arr} | ${fireAt.toISOString()}`);
    expect(mail.html).toContain(summary);
    for (const [metric, amount] of [['MRR', mrr], ['ARR', arr]] as const) expect(mail.html).toMatch(new RegExp(`>${metric}</td><td[^>]*>${amount.replace(/[$.]/g, '\\$&')}</td>`));
    expect(mail.attachments).toEqual([{ index: 0, filename: 'weekly-revenue.csv', contentType: 'text/csv', bytes: expect.any(Number) }]);
    const csv = await api('GET', `/outbox/${mail.id}/attachments/0`);
    expect(csv.headers['content-type']).toMatch(/^text\/csv/);
    const table = parseCsv(csv.body);
    expect(table.header).toEqual(['Metric', 'Amount', 'As of']);
    expect(table.records.map((rec) => rec.cells)).toEqual([
      ['MRR', mrr, fireAt.toISOString()],
      ['ARR', arr, fireAt.toISOString()],
    ]);
  });
});
