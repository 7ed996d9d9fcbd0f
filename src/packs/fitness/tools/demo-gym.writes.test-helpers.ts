import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { expect } from 'vitest';
import { outboxEmails } from '../../../tools/schema.js';
import { parseCsv } from '../crm/csv-parse.js';
import { fitnessCommunications, fitnessContacts, fitnessNotes } from '../crm/schema.js';
import type { DemoContact } from '../demo/rows.js';
import { truthOf } from '../demo/truth.js';
import { cmp, count, fullName, isLead, iso, money, reachOf, timeAway } from './demo-truth.test-helpers.js';
import { fitnessCampaignRecipients, fitnessCampaigns, fitnessSmsOutbox } from './schema.js';
import { failed, ok } from './test-fixtures.js';
import { NOW, GYM, plain, MEMBER_STATUSES, caller, rowsOf, expectSmallUntouched, pick, type Env, type Row, type List } from './demo-gym.env.test-helpers.js';

/** The writing tools' cases (demo-gym.test.ts runs them): each checks the rows it wrote and that the other gym is untouched. */
export const WRITE_CASES: Record<string, (env: Env) => Promise<void>> = {

  async export_data(env) {
    const { read } = caller(env);
    const { truth } = env;
    const contacts = await read<Row>('export_data', { entity: 'contacts' });
    expect(contacts).toMatchObject({ entity: 'contacts', rows: truth.rows.contacts.length, status: 'kept', filename: 'contacts-2026-03-15.csv' });
    const [mail] = await rowsOf(env, env.gym.orgId, outboxEmails, eq(outboxEmails.id, contacts.outboxId as string));
    const table = parseCsv(mail!.attachments[0]!.content);
    const col = (name: string) => table.header.indexOf(name);
    const inOrder = [...truth.rows.contacts].sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || cmp(a.id!, b.id!));
    expect(table.records.map((r) => r.cells[col('id')])).toEqual(inOrder.map((c) => c.id));
    expect(table.records.map((r) => [r.cells[col('status')], r.cells[col('tags')], r.cells[col('leadStage')], r.cells[col('ownerStaffEmail')], r.cells[col('lastVisitAt')]])).toEqual(
      inOrder.map((c) => [c.status, c.tags.join('; '), c.leadStageId ? truth.stages.get(c.leadStageId)!.name : '', c.ownerStaffId ? truth.staff.get(c.ownerStaffId)!.email : '', iso(c.lastVisitAt) ?? '']),
    );
    // Payments: more than one page of the export, every one once, amounts adding up to the ledger.
    const payments = await read<Row>('export_data', { entity: 'payments' });
    expect(payments).toMatchObject({ rows: truth.rows.payments.length, filename: 'payments-2026-03-15.csv' });
    const [paid] = await rowsOf(env, env.gym.orgId, outboxEmails, eq(outboxEmails.id, payments.outboxId as string));
    const ledger = parseCsv(paid!.attachments[0]!.content);
    const at = (name: string) => ledger.header.indexOf(name);
    expect(ledger.records.map((r) => r.cells[at('id')])).toEqual([...truth.rows.payments].sort((a, b) => a.paidAt.getTime() - b.paidAt.getTime() || cmp(a.id!, b.id!)).map((p) => p.id));
    const kept = ledger.records.filter((r) => r.cells[at('status')] !== 'failed');
    expect(kept.reduce((a, r) => a + Number(r.cells[at('amountMicros')]) - Number(r.cells[at('refundedMicros')]), 0)).toBe(truth.paymentTotals(truth.rows.payments).net.micros);
    await expectSmallUntouched(env);
  },

  async update_client_status(env) {
    const { read, elsewhere } = caller(env);
    const { truth } = env;
    const frozen = pick(truth.rows.contacts, (c) => c.status === 'frozen', 'frozen member');
    await elsewhere('update_client_status', { clientId: frozen.id, status: 'active' });
    const out = await read<Row>('update_client_status', { clientId: frozen.id, status: 'active', reason: 'Back from travelling' });
    expect(out).toEqual({ id: frozen.id, name: fullName(frozen), previousStatus: 'frozen', status: 'active', changed: true, noteId: expect.any(String) });
    const [row] = await rowsOf(env, env.gym.orgId, fitnessContacts, eq(fitnessContacts.id, frozen.id!));
    expect(plain({ ...row, updatedAt: null })).toEqual(plain({ ...frozen, status: 'active', updatedAt: null }));
    const notes = await rowsOf(env, env.gym.orgId, fitnessNotes, eq(fitnessNotes.contactId, frozen.id!));
    expect(notes.map((n) => n.body).sort()).toEqual([...truth.rows.notes.filter((n) => n.contactId === frozen.id).map((n) => n.body), 'Status changed from frozen to active by an agent: Back from travelling'].sort());
    expect(await read('update_client_status', { clientId: frozen.id, status: 'active' })).toMatchObject({ previousStatus: 'active', changed: false, noteId: null });
    // The profile reads the change.
    const after = { ...frozen, status: 'active' as const };
    const profile = await read<Row>('view_client_profile', { clientId: frozen.id });
    expect(profile).toMatchObject({ status: 'active', kind: 'member', recentNotes: [{ body: 'Status changed from frozen to active by an agent: Back from travelling' }, ...plain(truth.profile(after).recentNotes.slice(0, 2))] });
    frozen.status = 'active';
    await expectSmallUntouched(env);
  },

  async update_lead_status(env) {
    const { read, elsewhere } = caller(env);
    const { truth } = env;
    const contacted = [...truth.stages.values()].find((s) => s.name === 'Contacted')!;
    const toured = [...truth.stages.values()].find((s) => s.name === 'Toured')!;
    const lead = pick(truth.rows.contacts, (c) => c.status === 'lead' && c.leadStageId === contacted.id, 'contacted lead');
    await elsewhere('update_lead_status', { leadId: lead.id, stage: 'Toured' });
    const out = await read<Row>('update_lead_status', { leadId: lead.id, stage: 'TOURED', status: 'trial', note: 'Came in on Saturday' });
    expect(out).toEqual({ id: lead.id, name: fullName(lead), status: 'trial', stage: 'Toured', changed: true, noteId: expect.any(String) });
    const [row] = await rowsOf(env, env.gym.orgId, fitnessContacts, eq(fitnessContacts.id, lead.id!));
    expect(plain({ ...row, updatedAt: null })).toEqual(plain({ ...lead, status: 'trial', leadStageId: toured.id, updatedAt: null }));
    lead.status = 'trial';
    lead.leadStageId = toured.id!;
    const profile = await read<Row & { recentNotes: Row[] }>('view_lead_profile', { leadId: lead.id });
    expect(profile).toMatchObject({ status: 'trial', leadStage: { id: toured.id, name: 'Toured' } });
    expect(profile.recentNotes[0]).toMatchObject({ body: 'Moved to stage "Toured" and status trial by an agent. Came in on Saturday' });
    expect(await read('update_lead_status', { leadId: lead.id, stage: toured.id })).toMatchObject({ changed: false, noteId: null, stage: 'Toured' });
    await expectSmallUntouched(env);
  },

  async update_client_tags(env) {
    const { read, elsewhere } = caller(env);
    const { truth } = env;
    const tagged = pick(truth.rows.contacts, (c) => c.tags.length === 2 && !c.tags.includes('vip'), 'member with two tags');
    const [keep, drop] = tagged.tags as [string, string];
    await elsewhere('update_client_tags', { clientId: tagged.id, add: ['x'] });
    const out = await read('update_client_tags', { clientId: tagged.id, add: ['VIP', keep, 'comeback'], remove: [drop, 'never-had'] });
    const tags = [keep, 'vip', 'comeback'].sort();
    expect(out).toEqual({ id: tagged.id, name: fullName(tagged), tags, added: ['comeback', 'vip'], removed: [drop] });
    const [row] = await rowsOf(env, env.gym.orgId, fitnessContacts, eq(fitnessContacts.id, tagged.id!));
    expect(plain({ ...row, updatedAt: null })).toEqual(plain({ ...tagged, tags, updatedAt: null }));
    tagged.tags = tags;
    // A search by the new tag finds them among the gym's VIPs.
    expect((await read<List>('search_clients', { tag: 'vip', limit: 100 })).items.map((c) => c.id)).toEqual(truth.searchContacts({ statuses: MEMBER_STATUSES, tag: 'vip' }).map((c) => c.id));
    await expectSmallUntouched(env);
  },

  async send_sms(env) {
    const { run, elsewhere } = caller(env);
    const { truth } = env;
    const c = truth.rows.contacts;
    // Several of each: consent to SMS with a phone, no consent, opted out, consent without a phone; as service and as marketing.
    const sample = [
      ...c.filter((x) => x.smsConsent && !x.optedOut && x.phone).slice(0, 4),
      ...c.filter((x) => !x.smsConsent && !x.optedOut && x.phone).slice(0, 3),
      ...c.filter((x) => x.optedOut && x.smsConsent).slice(0, 2),
      ...c.filter((x) => x.smsConsent && !x.optedOut && !x.phone).slice(0, 2),
    ];
    expect(new Set(sample).size).toBeGreaterThanOrEqual(10);
    await elsewhere('send_sms', { contactId: sample[0]!.id, body: 'Hi' });
    for (const [i, contact] of sample.entries()) {
      const purpose = i % 2 ? 'marketing' : 'service';
      const runId = randomUUID();
      const res = await run('send_sms', { contactId: contact.id, body: 'Hi {{first_name}}, {{gym_name}} opens at 6 tomorrow.', purpose }, { runId });
      const reach = reachOf(contact, 'sms', purpose);
      const logged = await rowsOf(env, env.gym.orgId, fitnessCommunications, eq(fitnessCommunications.runId, runId));
      if (!reach.ok) {
        expect(failed(res), `${fullName(contact)} (${purpose})`).toMatchObject({ code: 'refused', message: expect.stringContaining(fullName(contact)) });
        expect(logged).toEqual([]);
        continue;
      }
      const body = `Hi ${contact.firstName}, ${GYM} opens at 6 tomorrow.`;
      const out = ok<Row>(res);
      expect(out, fullName(contact)).toEqual({ communicationId: expect.any(String), channel: 'sms', status: 'queued', to: contact.phone, subject: null, body, outboxId: expect.any(String) });
      expect(logged).toMatchObject([{ id: out.communicationId, contactId: contact.id, channel: 'sms', direction: 'outbound', status: 'queued', subject: null, body }]);
      const sms = await rowsOf(env, env.gym.orgId, fitnessSmsOutbox, eq(fitnessSmsOutbox.runId, runId));
      expect(sms).toMatchObject([{ id: out.outboxId, contactId: contact.id, communicationId: out.communicationId, to: reach.address, from: null, body, status: 'kept' }]);
    }
    await expectSmallUntouched(env);
  },

  async send_message_to_client(env) {
    const { run } = caller(env);
    const { truth } = env;
    const members = truth.rows.contacts.filter((x) => !isLead(x));
    const sample = [
      ...members.filter((x) => x.emailConsent && x.email && !x.optedOut).slice(0, 3),
      ...members.filter((x) => !x.emailConsent && x.smsConsent && x.phone && !x.optedOut).slice(0, 3),
      ...members.filter((x) => !x.emailConsent && !x.smsConsent && !x.optedOut).slice(0, 2),
      ...members.filter((x) => x.optedOut).slice(0, 1),
    ];
    for (const [i, contact] of sample.entries()) {
      const purpose = i % 3 === 2 ? 'marketing' : 'service';
      const runId = randomUUID();
      const res = await run('send_message_to_client', { clientId: contact.id, subject: 'For {{full_name}}', body: 'Your {{gym_name}} membership: see you soon, {{first_name}}!', purpose }, { runId });
      const reach = reachOf(contact, 'auto', purpose);
      if (!reach.ok) {
        expect(failed(res)).toMatchObject({ code: 'refused' });
        expect(await rowsOf(env, env.gym.orgId, fitnessCommunications, eq(fitnessCommunications.runId, runId))).toEqual([]);
        continue;
      }
      const body = `Your ${GYM} membership: see you soon, ${contact.firstName}!`;
      const subject = reach.channel === 'email' ? `For ${fullName(contact)}` : null;
      const out = ok<Row>(res);
      expect(out, fullName(contact)).toEqual({ communicationId: expect.any(String), channel: reach.channel, status: 'queued', to: reach.channel === 'email' ? contact.email : contact.phone, subject, body, outboxId: expect.any(String) });
      expect(await rowsOf(env, env.gym.orgId, fitnessCommunications, eq(fitnessCommunications.runId, runId))).toMatchObject([{ contactId: contact.id, channel: reach.channel, subject, body, status: 'queued' }]);
      if (reach.channel === 'email') expect(await rowsOf(env, env.gym.orgId, outboxEmails, eq(outboxEmails.runId, runId))).toMatchObject([{ to: [contact.email], subject, text: body, status: 'kept' }]);
      else expect(await rowsOf(env, env.gym.orgId, fitnessSmsOutbox, eq(fitnessSmsOutbox.runId, runId))).toMatchObject([{ to: reach.address, body, status: 'kept' }]);
    }
    const lead = pick(truth.rows.contacts, (x) => x.status === 'lead', 'lead');
    expect(failed(await run('send_message_to_client', { clientId: lead.id, body: 'Hi' }))).toMatchObject({ code: 'invalid_arguments', message: expect.stringContaining('use send_message_to_lead') });
    await expectSmallUntouched(env);
  },

  async send_message_to_lead(env) {
    const { run, elsewhere } = caller(env);
    const { truth } = env;
    const leads = truth.rows.contacts.filter(isLead);
    const sample = [...leads.filter((x) => x.emailConsent && x.email && !x.optedOut).slice(0, 2), ...leads.filter((x) => !x.emailConsent && x.smsConsent && !x.optedOut).slice(0, 2), ...leads.filter((x) => x.status === 'trial').slice(0, 2)];
    await elsewhere('send_message_to_lead', { leadId: sample[0]!.id, body: 'Hi' });
    for (const contact of sample) {
      const runId = randomUUID();
      const res = await run('send_message_to_lead', { leadId: contact.id, body: 'Your free trial at {{gym_name}} is waiting, {{first_name}}.', channel: 'auto' }, { runId });
      const reach = reachOf(contact, 'auto', 'service');
      if (!reach.ok) {
        expect(failed(res).code).toBe('refused');
        continue;
      }
      expect(ok(res), fullName(contact)).toMatchObject({ channel: reach.channel, body: `Your free trial at ${GYM} is waiting, ${contact.firstName}.` });
      expect(await rowsOf(env, env.gym.orgId, fitnessCommunications, eq(fitnessCommunications.runId, runId))).toMatchObject([{ contactId: contact.id, channel: reach.channel }]);
    }
    const member = pick(truth.rows.contacts, (x) => x.status === 'active', 'member');
    expect(failed(await run('send_message_to_lead', { leadId: member.id, body: 'Hi' }))).toMatchObject({ code: 'invalid_arguments', message: expect.stringContaining('use send_message_to_client') });
    await expectSmallUntouched(env);
  },

  async send_retention_message(env) {
    const { run } = caller(env);
    const { truth } = env;
    const members = truth.rows.contacts.filter((x) => x.status === 'active');
    const yesterday = truth.ago(1);
    // Never came, came yesterday, away a while; and someone who did not agree to marketing.
    const sample = [
      pick(members, (x) => x.lastVisitAt === null && reachOf(x, 'auto', 'marketing').ok, 'active member who never came'),
      pick(members, (x) => x.lastVisitAt !== null && x.lastVisitAt > truth.ago(2) && x.lastVisitAt < yesterday && reachOf(x, 'auto', 'marketing').ok, 'member who came the day before yesterday'),
      pick(members, (x) => x.lastVisitAt !== null && x.lastVisitAt < truth.ago(20) && reachOf(x, 'email', 'marketing').ok, 'member away for weeks'),
      pick(members, (x) => x.lastVisitAt !== null && x.lastVisitAt < truth.ago(5) && reachOf(x, 'sms', 'marketing').ok, 'member away, reachable by SMS'),
      pick(members, (x) => !x.marketingConsent && !x.optedOut, 'member without marketing consent'),
    ];
    for (const [i, contact] of sample.entries()) {
      const channel = i === 3 ? 'sms' : 'auto';
      const res = await run('send_retention_message', { clientId: contact.id, template: 'we_miss_you', channel });
      const reach = reachOf(contact, channel, 'marketing');
      if (!reach.ok) {
        expect(failed(res)).toMatchObject({ code: 'refused', message: expect.stringContaining('has not agreed to marketing messages') });
        continue;
      }
      const away = timeAway(contact, NOW);
      expect(ok(res), fullName(contact)).toMatchObject({
        template: 'we_miss_you',
        channel: reach.channel,
        subject: reach.channel === 'email' ? `We miss you, ${contact.firstName}!` : null,
        body: expect.stringContaining(reach.channel === 'email' ? `We haven't seen you at ${GYM} ${away}, and we miss having you around.` : `Hi ${contact.firstName}, we haven't seen you at ${GYM} ${away} and we miss you!`),
      });
    }
    expect(sample.map((x) => timeAway(x, NOW))).toEqual(['in a while', 'since yesterday', expect.stringMatching(/^in \d+ days$/), expect.stringMatching(/^in \d+ days$/), expect.any(String)]);
    await expectSmallUntouched(env);
  },

  async send_report_email(env) {
    const { read } = caller(env);
    const mrr = truthOf(env.gym, 'calculate_mrr', { asOf: NOW.toISOString() }) as { mrr: { micros: number }; history: { at: string; activeSubscriptions: number; mrr: { micros: number } }[] };
    const rows = mrr.history.map((h) => [h.at.slice(0, 7), h.activeSubscriptions, h.mrr.micros / 1_000_000]);
    const out = await read<Row>('send_report_email', { to: ['owner@ironwood.example'], subject: 'MRR, last 12 months', summary: `MRR today: ${money(mrr.mrr.micros).usd}`, columns: ['Month', 'Active subscriptions', 'MRR (USD)'], rows });
    expect(out).toMatchObject({ status: 'queued', rows: rows.length, attachment: 'MRR-last-12-months.csv' });
    const [mail] = await rowsOf(env, env.gym.orgId, outboxEmails, eq(outboxEmails.id, out.outboxId as string));
    const csv = ['Month,Active subscriptions,MRR (USD)', ...rows.map((r) => r.join(','))].join('\r\n') + '\r\n';
    expect(mail).toMatchObject({ to: ['owner@ironwood.example'], subject: 'MRR, last 12 months', status: 'kept', attachments: [{ filename: 'MRR-last-12-months.csv', contentType: 'text/csv', content: csv }] });
    expect(mail!.html).toContain(`<p>MRR today: ${money(mrr.mrr.micros).usd}</p>`);
    await expectSmallUntouched(env);
  },

  async preview_bulk_message(env) {
    const { read } = caller(env);
    const { truth } = env;
    const audience = (list: DemoContact[], channel: 'auto' | 'email' | 'sms', purpose: 'service' | 'marketing') => {
      const sorted = [...list].sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || cmp(a.id!, b.id!));
      const eligible = sorted.flatMap((c) => {
        const r = reachOf(c, channel, purpose);
        return r.ok ? [{ contact: c, channel: r.channel }] : [];
      });
      const excluded = count(
        sorted.flatMap((c) => {
          const r = reachOf(c, channel, purpose);
          return r.ok ? [] : [r.reasons.join('+')];
        }),
        (x) => x,
      );
      return { eligible, excluded, matched: sorted.length };
    };
    const check = async (args: Row, list: DemoContact[], channel: 'auto' | 'email' | 'sms', purpose: 'service' | 'marketing') => {
      const a = audience(list, channel, purpose);
      const out = await read<Row & { example: Row | null }>('preview_bulk_message', args);
      expect(out, JSON.stringify(args)).toMatchObject({
        matched: a.matched,
        expectedRecipients: a.eligible.length,
        byChannel: { email: a.eligible.filter((e) => e.channel === 'email').length, sms: a.eligible.filter((e) => e.channel === 'sms').length },
        excluded: a.excluded,
        overLimit: null,
        sample: a.eligible.slice(0, 10).map((e) => ({ id: e.contact.id, name: fullName(e.contact), channel: e.channel })),
      });
      return { a, out };
    };
    const away = truth.searchContacts({ statuses: ['active'], notVisitedForDays: 14 });
    const { a, out } = await check({ segment: { status: ['active'], notVisitedForDays: 14 }, template: 'we_miss_you' }, away, 'auto', 'marketing');
    expect(a.eligible.length).toBeGreaterThan(5);
    expect(Object.keys(a.excluded).length).toBeGreaterThanOrEqual(3);
    const first = a.eligible[0]!;
    expect(out.example).toMatchObject({ to: fullName(first.contact), channel: first.channel, body: expect.stringContaining(`${GYM} ${timeAway(first.contact, NOW)}`) });
    await check({ segment: { tags: ['VIP', 'morning'], status: ['active', 'frozen'] }, channel: 'sms', purpose: 'service' }, truth.searchContacts({ statuses: ['active', 'frozen'], tag: 'vip' }).filter((c) => c.tags.includes('morning')), 'sms', 'service');
    const negotiating = [...truth.stages.values()].find((s) => s.name === 'Negotiating')!.id!;
    await check({ segment: { leadStage: 'negotiating', status: ['lead', 'trial'] }, purpose: 'service', channel: 'email' }, truth.searchContacts({ statuses: ['lead', 'trial'], leadStageId: negotiating }), 'email', 'service');
    const recent = truth.searchContacts({ statuses: ['active'], visitedWithinDays: 3 });
    await check({ segment: { visitedWithinDays: 3, source: 'referral' } }, recent.filter((c) => c.source === 'referral'), 'auto', 'marketing');
  },

  async send_bulk_message(env) {
    const { run, read } = caller(env);
    const { truth } = env;
    const segment = { status: ['frozen', 'cancelled'], notVisitedForDays: 7 };
    const list = truth.searchContacts({ statuses: ['frozen', 'cancelled'], notVisitedForDays: 7 }).sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || cmp(a.id!, b.id!));
    const reached = list.flatMap((c) => {
      const r = reachOf(c, 'auto', 'service');
      return r.ok ? [{ c, r }] : [];
    });
    expect(reached.length).toBeGreaterThan(3);
    expect(reached.length).toBeLessThan(list.length);
    const args = { segment, purpose: 'service', subject: 'News from {{gym_name}}', body: 'Hi {{first_name}}, your {{gym_name}} account has news.' };
    // A segment larger than the number approved is refused, and nothing is written.
    const tooFew = randomUUID();
    expect(failed(await run('send_bulk_message', { ...args, expectedRecipients: reached.length - 1 }, { runId: tooFew })).code).toBe('conflict');
    expect(await rowsOf(env, env.gym.orgId, fitnessCampaigns, eq(fitnessCampaigns.runId, tooFew))).toEqual([]);
    const runId = randomUUID();
    const out = await read<Row>('send_bulk_message', { ...args, expectedRecipients: reached.length }, { runId });
    const excluded = count(
      list.flatMap((c) => {
        const r = reachOf(c, 'auto', 'service');
        return r.ok ? [] : [r.reasons.join('+')];
      }),
      (x) => x,
    );
    expect(out).toEqual({ campaignId: expect.any(String), name: `News from {{gym_name}}`, segment: 'status frozen/cancelled; no visit for 7+ days', recipients: reached.length, sent: 0, queued: reached.length, failed: 0, excluded, failures: [] });
    const [campaign] = await rowsOf(env, env.gym.orgId, fitnessCampaigns, eq(fitnessCampaigns.runId, runId));
    expect(campaign).toMatchObject({ id: out.campaignId, kind: 'bulk', recipients: reached.length, excluded, status: 'done' });
    const recipients = await rowsOf(env, env.gym.orgId, fitnessCampaignRecipients, eq(fitnessCampaignRecipients.campaignId, campaign!.id));
    expect(recipients.map((r) => [r.contactId, r.channel, r.status]).sort()).toEqual(reached.map(({ c, r }) => [c.id, r.channel, 'queued']).sort());
    const logged = await rowsOf(env, env.gym.orgId, fitnessCommunications, eq(fitnessCommunications.runId, runId));
    expect(logged.map((l) => [l.contactId, l.channel, l.body, l.subject]).sort()).toEqual(
      reached.map(({ c, r }) => [c.id, r.channel, `Hi ${c.firstName}, your ${GYM} account has news.`, r.channel === 'email' ? `News from ${GYM}` : null]).sort(),
    );
    await expectSmallUntouched(env);
  },

};
