import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, json, type TestApp } from '../../../../test/helpers/app.js';
import { startProviderStub, type ProviderStub } from '../../../../test/helpers/provider-stub.js';
import { createCheckInBody } from '../crm/dto/classes.js';
import { fitnessCommunications } from '../crm/schema.js';
import { fitnessCampaignRecipients, fitnessCampaigns } from './schema.js';
import { daysAgo, failed, gym, ok, type Gym } from './test-fixtures.js';

type Row = Record<string, unknown>;

/** Messages to many: preview, consent per person, a number a person approves, resumption by tool call. */
describe('bulk messages and retention campaigns', () => {
  let t: TestApp;
  let stub: ProviderStub;
  let g: Gym;
  let other: Gym;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    stub = await startProviderStub();
    t = await createTestApp('postgres', { OPENAI_API_KEY: 'sk-test', OPENAI_BASE_URL: `${stub.url}/v1` });
    g = await gym(t);
    other = await gym(t);
    await t.app.inject({ method: 'PATCH', url: '/api/v1/orgs/current', headers: g.owner.headers, payload: { name: 'Iron Temple' } });
    const yes = { emailConsent: true, marketingConsent: true };
    ids.ann = (await g.contact({ firstName: 'Ann', ...yes, tags: ['vip', 'morning'] })).id;
    ids.ben = (await g.contact({ firstName: 'Ben', ...yes, tags: ['vip'] })).id;
    ids.cat = (await g.contact({ firstName: 'Cat', ...yes })).id;
    ids.dan = (await g.contact({ firstName: 'Dan', marketingConsent: true, smsConsent: true, phone: '+1 555 0199', email: null })).id;
    ids.out = (await g.contact({ firstName: 'Out', ...yes, optedOut: true, tags: ['vip'] })).id;
    ids.nom = (await g.contact({ firstName: 'Nom', emailConsent: true })).id;
    ids.lead = (await g.contact({ firstName: 'Lee', ...yes, status: 'lead' })).id;
    // Ann and Ben came this week; the others have not come for 14 days.
    for (const id of [ids.ann, ids.ben]) await g.crm.checkIns.create(g.actor, createCheckInBody.parse({ contactId: id, at: daysAgo(2).toISOString() }));
    await other.contact({ firstName: 'Far', ...yes });
  }, 120_000);
  afterAll(async () => {
    await t?.close();
    await stub?.close();
  });

  const commsOfRun = (runId: string) => t.ctx.database.withOrg(g.orgId, (tx) => tx.select().from(fitnessCommunications).where(eq(fitnessCommunications.runId, runId)));

  it('preview_bulk_message counts who the message reaches and why the others are left out', async () => {
    const p = ok<Row>(await g.call('preview_bulk_message', { body: 'Hi {{first_name}}, double points at {{gym_name}} this week' }));
    expect(p).toMatchObject({
      segment: 'status active',
      matched: 6,
      expectedRecipients: 4,
      byChannel: { email: 3, sms: 1 },
      excluded: { opted_out: 1, no_marketing_consent: 1 },
      overLimit: null,
      example: { to: 'Ann Test', channel: 'email', body: 'Hi Ann, double points at Iron Temple this week' },
    });
    expect(ok<Row>(await g.call('preview_bulk_message', { segment: { tags: ['vip'] } }))).toMatchObject({ segment: 'status active; tagged vip', matched: 3, expectedRecipients: 2 });
    expect(ok<Row>(await g.call('preview_bulk_message', { segment: { tags: ['vip', 'morning'] } }))).toMatchObject({ expectedRecipients: 1 });
    expect(ok<Row>(await g.call('preview_bulk_message', { segment: { notVisitedForDays: 7 }, purpose: 'service' }))).toMatchObject({ matched: 4, expectedRecipients: 3, excluded: { opted_out: 1 } });
    expect(ok<Row>(await g.call('preview_bulk_message', { segment: { contactIds: [ids.lead, ids.ann] } }))).toMatchObject({ matched: 2, expectedRecipients: 2 });
    expect(ok<Row>(await other.call('preview_bulk_message', {}))).toMatchObject({ matched: 1, expectedRecipients: 1 });
  });

  it('send_bulk_message refuses more people than approved, sends once per tool call, and resumes what was left', async () => {
    const args = { segment: { status: ['active'] }, subject: 'This week at {{gym_name}}', body: 'Hi {{first_name}}, double points this week!', expectedRecipients: 3 };
    expect(failed(await g.call('send_bulk_message', args))).toMatchObject({ code: 'conflict', message: expect.stringContaining('now reaches 4 people, more than the 3') });

    const context = g.ctx();
    const first = ok<Row>(await t.ctx.services.tools.execute('send_bulk_message', { ...args, expectedRecipients: 4 }, context));
    expect(first).toMatchObject({ recipients: 4, sent: 0, queued: 4, failed: 0, excluded: { opted_out: 1, no_marketing_consent: 1 }, segment: 'status active' });
    const comms = await commsOfRun(context.runId);
    expect(comms.map((c) => [c.channel, c.status]).sort()).toEqual([
      ['email', 'queued'],
      ['email', 'queued'],
      ['email', 'queued'],
      ['sms', 'queued'],
    ]);
    expect(comms.find((c) => c.contactId === ids.dan)).toMatchObject({ body: 'Hi Dan, double points this week!', subject: null });
    expect(comms.find((c) => c.contactId === ids.ann)).toMatchObject({ subject: 'This week at Iron Temple' });
    const [campaign] = await t.ctx.database.withOrg(g.orgId, (tx) => tx.select().from(fitnessCampaigns).where(eq(fitnessCampaigns.id, first.campaignId as string)));
    expect(campaign).toMatchObject({ kind: 'bulk', status: 'done', recipients: 4, runId: context.runId, toolCallId: context.toolCallId });

    // The same call again (an interrupted run making it anew): the same campaign, nobody messaged twice.
    expect(ok<Row>(await t.ctx.services.tools.execute('send_bulk_message', { ...args, expectedRecipients: 4 }, context))).toMatchObject({ campaignId: first.campaignId, queued: 4 });
    expect(await commsOfRun(context.runId)).toHaveLength(4);

    // A recipient left pending (the worker died mid-way) is sent to on the next attempt, and only they are;
    // one who opted out meanwhile is not.
    await t.ctx.database.withOrg(g.orgId, async (tx) => {
      await tx.update(fitnessCampaignRecipients).set({ status: 'pending', communicationId: null }).where(and(eq(fitnessCampaignRecipients.campaignId, first.campaignId as string), eq(fitnessCampaignRecipients.contactId, ids.cat!)));
      await tx.update(fitnessCampaignRecipients).set({ status: 'pending', communicationId: null }).where(and(eq(fitnessCampaignRecipients.campaignId, first.campaignId as string), eq(fitnessCampaignRecipients.contactId, ids.ben!)));
    });
    await g.crm.contacts.update(g.actor, ids.ben!, { optedOut: true });
    const resumed = ok<Row>(await t.ctx.services.tools.execute('send_bulk_message', { ...args, expectedRecipients: 4 }, context));
    expect(resumed).toMatchObject({ queued: 3, failed: 1, failures: [{ name: 'Ben Test', error: expect.stringContaining('opted out') }] });
    expect(await commsOfRun(context.runId)).toHaveLength(5);
    await g.crm.contacts.update(g.actor, ids.ben!, { optedOut: false });
  });

  it('create_retention_campaign messages the members who stayed away, with the template of their channel', async () => {
    const preview = ok<Row>(await g.call('preview_bulk_message', { segment: { status: ['active'], notVisitedForDays: 14 }, template: 'we_miss_you' }));
    expect(preview).toMatchObject({ expectedRecipients: 2, example: { to: 'Cat Test', subject: 'We miss you, Cat!' } });
    // A template variable with no value is found before anyone is messaged.
    const noOffer = failed(await g.call('create_retention_campaign', { name: 'Offer', template: 'comeback_offer', expectedRecipients: 2 }));
    expect(noOffer).toMatchObject({ code: 'invalid_arguments', message: expect.stringContaining('{{offer}}') });
    expect(await t.ctx.database.withOrg(g.orgId, (tx) => tx.select().from(fitnessCampaigns).where(eq(fitnessCampaigns.name, 'Offer')))).toEqual([]);

    const context = g.ctx();
    const res = ok<Row>(await t.ctx.services.tools.execute('create_retention_campaign', { name: 'May win-back', template: 'we_miss_you', expectedRecipients: 2 }, context));
    expect(res).toMatchObject({ template: 'we_miss_you', recipients: 2, queued: 2, segment: 'status active; no visit for 14+ days' });
    const comms = await commsOfRun(context.runId);
    expect(comms.find((c) => c.contactId === ids.cat)).toMatchObject({ channel: 'email', subject: 'We miss you, Cat!', body: expect.stringContaining("We haven't seen you at Iron Temple in a while") });
    expect(comms.find((c) => c.contactId === ids.dan)).toMatchObject({ channel: 'sms', body: expect.stringMatching(/^Hi Dan, we haven't seen you at Iron Temple in a while and we miss you!/) });
    const listed = json<{ items: Row[] }>(await t.app.inject({ method: 'GET', url: '/api/v1/fitness/campaigns?kind=retention', headers: g.owner.headers }));
    expect(listed.items).toMatchObject([{ name: 'May win-back', template: 'we_miss_you', status: 'done', recipients: 2, outcomes: { queued: 2, sent: 0, failed: 0, pending: 0 } }]);
    expect(json<{ total: number }>(await t.app.inject({ method: 'GET', url: '/api/v1/fitness/campaigns', headers: other.owner.headers })).total).toBe(0);
  });

  it('the catalog says which tools ask a person first', async () => {
    const items = json<{ items: { name: string; category: string; requiresApproval: boolean; idempotent: boolean }[] }>(await t.app.inject({ method: 'GET', url: '/api/v1/tools', headers: g.owner.headers })).items;
    const byName = new Map(items.map((i) => [i.name, i]));
    expect(byName.get('send_bulk_message')).toMatchObject({ category: 'messaging', requiresApproval: true, idempotent: true });
    expect(byName.get('create_retention_campaign')).toMatchObject({ category: 'automation', requiresApproval: true });
    expect(byName.get('export_data')).toMatchObject({ requiresApproval: true });
    expect(byName.get('search_clients')).toMatchObject({ category: 'crm', requiresApproval: false, idempotent: true });
    expect(byName.get('predict_progress')).toMatchObject({ category: 'fitness' });
    expect(items.filter((i) => ['crm', 'messaging', 'automation', 'fitness'].includes(i.category)).length).toBeGreaterThanOrEqual(36 + 1);
  });

  it("an agent's send_bulk_message waits for a person, whose card says how many it reaches; approved, it sends", { timeout: 60_000 }, async () => {
    const agent = json<{ id: string }>(
      await t.app.inject({ method: 'POST', url: '/api/v1/agents', headers: g.owner.headers, payload: { name: 'Retention Specialist', model: 'openai:gpt-4o-mini', tools: ['send_bulk_message'] } }),
    );
    stub.enqueue(
      { toolCalls: [{ id: 'call_bulk', name: 'send_bulk_message', args: { segment: { tags: ['vip'] }, body: 'VIP night on Friday, {{first_name}}!', expectedRecipients: 2 } }] },
      { text: 'Sent to the VIPs.' },
    );
    const run = json<{ id: string; status: string }>(await t.app.inject({ method: 'POST', url: `/api/v1/agents/${agent.id}/execute?wait=true`, headers: g.owner.headers, payload: { task: 'Tell the VIPs about Friday' } }));
    expect(run.status).toBe('waiting_approval');
    expect(await commsOfRun(run.id)).toEqual([]);
    const approvals = json<{ items: { id: string; description: string }[] }>(await t.app.inject({ method: 'GET', url: `/api/v1/approvals?runId=${run.id}`, headers: g.owner.headers }));
    const card = approvals.items.find((a) => a.description.includes('VIP night'))!;
    expect(card.description).toBe("Send a marketing message to up to 2 people (status active; tagged vip): 'VIP night on Friday, {{first_name}}!'");
    expect((await t.app.inject({ method: 'POST', url: `/api/v1/approvals/${card.id}/approve`, headers: g.owner.headers, payload: {} })).statusCode).toBe(200);
    await expect.poll(async () => json<{ status: string }>(await t.app.inject({ method: 'GET', url: `/api/v1/runs/${run.id}`, headers: g.owner.headers })).status, { timeout: 30_000 }).toBe('succeeded');
    expect((await commsOfRun(run.id)).map((c) => c.body).sort()).toEqual(['VIP night on Friday, Ann!', 'VIP night on Friday, Ben!']);
  });
});
