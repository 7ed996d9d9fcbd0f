import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, expectProblem, json, seedMember, seedRoles, type Member, type TestApp } from '../../../../test/helpers/app.js';
import { exportCsv } from './csv-export.js';
import { parseCsv } from './csv-parse.js';

let t: TestApp;
let roles: Awaited<ReturnType<typeof seedRoles>>;

beforeAll(async () => {
  t = await createTestApp('postgres');
  roles = await seedRoles(t.ctx);
});
afterAll(() => t.close());

type Row = Record<string, unknown> & { id: string };
interface Report {
  entity: string;
  dryRun: boolean;
  mode: string;
  rows: number;
  valid: number;
  imported: number;
  failed: number;
  columns: { column: string; field: string | null }[];
  errors: { row: number; column: string | null; field: string | null; message: string }[];
  errorCount: number;
}

const api = (method: 'GET' | 'POST', url: string, who: Member, payload?: string | object, contentType?: string) =>
  t.app.inject({
    method,
    url: `/api/v1/fitness${url}`,
    headers: { ...who.headers, ...(contentType ? { 'content-type': contentType } : {}) },
    ...(payload === undefined ? {} : { payload }),
  });
/** Posts a file as text/csv. */
const importCsv = (entity: string, csv: string, query = '', who: Member = roles.member) => api('POST', `/import/${entity}${query}`, who, csv, 'text/csv; charset=utf-8');
const importJson = (entity: string, body: object, query = '', who: Member = roles.member) => api('POST', `/import/${entity}${query}`, who, body);
async function ok(res: Awaited<ReturnType<typeof api>>): Promise<Report> {
  expect(res.statusCode, res.body).toBe(200);
  return json<Report>(res);
}
async function contacts(who: Member, query = ''): Promise<{ items: Row[]; total: number }> {
  const res = await api('GET', `/contacts?limit=100&sortBy=name&sortOrder=asc${query}`, who);
  expect(res.statusCode, res.body).toBe(200);
  return json(res);
}

describe('importing contacts', () => {
  let org: Member;
  beforeAll(async () => {
    org = await seedMember(t.ctx, 'owner');
    const stage = await api('POST', '/lead-stages', org, { name: 'Trial booked', position: 2 });
    const staff = await api('POST', '/staff', org, { name: 'Sam Sales', email: 'sam@gym.example', role: 'sales' });
    expect([stage.statusCode, staff.statusCode]).toEqual([201, 201]);
  });

  it('imports a spreadsheet export: BOM, CRLF, quoted commas, quotes and line breaks, loose headers and values', async () => {
    const csv =
      '\uFEFFFirst Name,Last Name,E-mail,Phone,Status,Tags,Date of Birth,Email Consent,Joined At,Stage,Owner Email,Notes\r\n' +
      'Ann,"O\'Neil, Jr.",ANN@example.com,+1 555 0100,Active,"vip; mornings",1990-04-23,yes,2025-03-01 09:30,,,"likes ""spin""\r\nand yoga"\r\n' +
      'Ben,Lee,ben@example.com,,Trial,,,no,,trial booked,SAM@gym.example,\r\n' +
      '\r\n' +
      "Cleo,,,'+44 20 7946 0000,lead,,,,,,,\r\n";
    const report = await ok(await importCsv('contacts', csv, '', org));
    expect(report).toMatchObject({ entity: 'contacts', dryRun: false, mode: 'all', rows: 3, valid: 3, imported: 3, failed: 0, errors: [], errorCount: 0 });
    expect(report.columns).toContainEqual({ column: 'Notes', field: null });
    expect(report.columns).toContainEqual({ column: 'E-mail', field: 'email' });
    const { items } = await contacts(org);
    expect(items.map((c) => c.firstName)).toEqual(['Ann', 'Ben', 'Cleo']);
    const [ann, ben, cleo] = items as [Row, Row, Row];
    expect(ann).toMatchObject({ lastName: "O'Neil, Jr.", email: 'ann@example.com', phone: '+1 555 0100', status: 'active', kind: 'member', tags: ['vip', 'mornings'], dateOfBirth: '1990-04-23', emailConsent: true, joinedAt: '2025-03-01T09:30:00.000Z' });
    expect(ann.emailConsentAt).not.toBeNull();
    expect(ben).toMatchObject({ status: 'trial', emailConsent: false, email: 'ben@example.com' });
    expect(ben.leadStageId).not.toBeNull();
    expect(ben.ownerStaffId).not.toBeNull();
    expect(cleo).toMatchObject({ phone: '+44 20 7946 0000', email: null, lastName: '' });
  });

  it('imports nothing from a file with bad rows, and reports every problem by row and column', async () => {
    const before = (await contacts(org)).total;
    const csv = [
      'firstName,lastName,email,status,dateOfBirth,leadStage',
      'Good,Row,good1@example.com,lead,,', // row 2: fine
      ',Nofirst,nofirst@example.com,lead,,', // row 3: first name missing
      'Bad,Email,not-an-email,lead,,', // row 4
      'Bad,Status,status@example.com,vip,,', // row 5
      'Dup,One,dup@example.com,lead,,', // row 6: fine on its own
      'Dup,Two,DUP@example.com,lead,,', // row 7: same email as row 6
      'Old,Timer,ann@example.com,lead,,', // row 8: email already in the organization
      'Bad,Date,date@example.com,lead,1990-02-30,', // row 9
      'No,Stage,stage@example.com,lead,,Nowhere', // row 10
      'Too,Many,many@example.com,lead,,,extra', // row 11
    ].join('\n');
    const res = await importCsv('contacts', csv, '', org);
    const problem = expectProblem(res, 422);
    expect(problem.code).toBe('import_failed');
    const report = json<{ report: Report }>(res).report;
    expect(report).toMatchObject({ rows: 10, valid: 2, imported: 0, failed: 8 });
    const byRow = Object.fromEntries(report.errors.map((e) => [e.row, [e.column, e.message]]));
    expect(byRow[3]).toEqual(['firstName', 'is required']);
    expect(byRow[4]![0]).toBe('email');
    expect(byRow[5]![0]).toBe('status');
    expect(byRow[7]).toEqual(['email', 'row 6 has the same email']);
    expect(byRow[8]).toEqual(['email', 'a contact with this email already exists']);
    expect(byRow[9]![0]).toBe('dateOfBirth');
    expect(byRow[10]).toEqual(['leadStage', 'no lead stage is named "Nowhere"']);
    expect(byRow[11]).toEqual([null, 'has 7 fields; the header has 6']);
    expect(Object.keys(byRow).map(Number)).toEqual([3, 4, 5, 7, 8, 9, 10, 11]);
    expect(problem.detail).toMatch(/^8 of 10 rows have problems, so nothing was imported \(row 3, firstName: is required\)/);
    expect((await contacts(org)).total).toBe(before);

    // A dry run reports the same and writes nothing, with 200.
    const dry = await ok(await importCsv('contacts', csv, '?dryRun=true', org));
    expect(dry).toMatchObject({ dryRun: true, rows: 10, valid: 2, imported: 0, failed: 8, errorCount: 8 });
    // Partial: the good rows go in, the bad are reported.
    const partial = await ok(await importCsv('contacts', csv, '?mode=partial', org));
    expect(partial).toMatchObject({ mode: 'partial', valid: 2, imported: 2, failed: 8 });
    expect((await contacts(org)).total).toBe(before + 2);
    expect((await contacts(org, '&q=dup')).items.map((c) => c.lastName)).toEqual(['One']);
  });

  it('writes nothing on a dry run of a good file', async () => {
    const before = (await contacts(org)).total;
    const report = await ok(await importCsv('contacts', 'firstName,email\nDry,dry@example.com\n', '?dryRun=true', org));
    expect(report).toMatchObject({ dryRun: true, valid: 1, imported: 0 });
    expect((await contacts(org)).total).toBe(before);
  });

  it('takes a JSON body with a column mapping', async () => {
    const csv = 'Given,Family,Mail,Member No,Ignore me\nDana,Ng,dana@example.com,M-77,x\n';
    const report = await ok(await importJson('contacts', { csv, mapping: { Given: 'firstName', Family: 'lastName', Mail: 'email', 'Member No': 'externalId', 'Ignore me': null } }, '', org));
    expect(report.imported).toBe(1);
    expect((await contacts(org, '&q=M-77')).items[0]).toMatchObject({ firstName: 'Dana', lastName: 'Ng', externalId: 'M-77' });
  });

  it('refuses a file it cannot read or map with 400 naming the problem', async () => {
    const cases: [Promise<Awaited<ReturnType<typeof api>>>, string, RegExp][] = [
      [importCsv('contacts', ''), 'body.csv', /empty/],
      [importCsv('contacts', 'firstName,email\n'), 'body.csv', /no rows/],
      [importCsv('contacts', 'firstName\n"Unclosed\n'), 'body.csv', /row 2: a quoted field is not closed/],
      [importCsv('contacts', 'email,phone\na@b.co,1\n'), 'body.csv', /no column for firstName/],
      [importCsv('contacts', 'name,name\na,b\n'), 'body.csv', /Two columns are named "name"/],
      [importJson('contacts', { csv: 'A,B\nx,y\n', mapping: { C: 'firstName' } }), 'body.mapping.C', /no column "C"/],
      [importJson('contacts', { csv: 'A,B\nx,y\n', mapping: { A: 'firstName', B: 'first_name' } }), 'body.mapping.B', /./],
      [importJson('contacts', { csv: 'A,First Name\nx,y\n', mapping: { A: 'firstName' } }), 'body.mapping', /both feed firstName/],
      [importJson('contacts', { csv: 'firstName\nx\n', dryRun: true }), 'body', /dryRun/],
      [importCsv('contacts', 'firstName\nx\n', '?mode=some'), 'querystring.mode', /./],
    ];
    for (const [res, path, message] of cases) {
      const problem = expectProblem(await res, 400);
      expect(problem.errors?.[0]?.path, problem.detail).toBe(path);
      expect(problem.detail).toMatch(message);
    }
  });

  it('lets members import and viewers export, not import', async () => {
    expectProblem(await importCsv('contacts', 'firstName\nx\n', '', roles.viewer), 403);
    expect((await api('GET', '/export/contacts.csv', roles.viewer)).statusCode).toBe(200);
  });
});

describe('importing subscriptions and payments', () => {
  let org: Member;
  beforeAll(async () => {
    org = await seedMember(t.ctx, 'owner');
    expect((await api('POST', '/plans', org, { name: 'Gold', priceMicros: 59_000_000 })).statusCode).toBe(201);
    expect((await api('POST', '/plans', org, { name: 'Yearly', priceMicros: 500_000_000, billingInterval: 'year' })).statusCode).toBe(201);
    await ok(await importCsv('contacts', 'externalId,firstName,email,status\nC1,Ava,ava@example.com,active\nC2,Bo,bo@example.com,active\nC3,Cy,,active\n', '', org));
  });

  it('matches contacts by external id or email and plans by name, with the plan terms unless given', async () => {
    const csv = [
      'Subscription ID,Member ID,Email,Plan,Status,Start Date,Price,Cancelled At,Cancel Reason',
      'S1,C1,,gold,active,2026-01-01,,,',
      'S2,,BO@example.com,Yearly,Cancelled,2025-06-01,450.00,2026-01-10,moved',
      'S3,C3,,Gold,past due,2026-02-01,39,,',
    ].join('\n');
    const report = await ok(await importCsv('subscriptions', csv, '', org));
    expect(report).toMatchObject({ imported: 3, failed: 0 });
    const subs = json<{ items: Row[] }>(await api('GET', '/subscriptions?sortBy=startedAt&sortOrder=asc', org)).items;
    expect(subs.map((s) => [s.externalId, s.status, s.priceMicros, s.billingInterval, s.cancelledAt, s.cancelReason])).toEqual([
      ['S2', 'cancelled', 450_000_000, 'year', '2026-01-10T00:00:00.000Z', 'moved'],
      ['S1', 'active', 59_000_000, 'month', null, null],
      ['S3', 'past_due', 39_000_000, 'month', null, null],
    ]);
  });

  it('reports subscriptions it cannot place', async () => {
    const csv = ['externalId,contactEmail,plan,startedAt,cancelledAt,price,priceMicros', 'S1,ava@example.com,Gold,2026-01-01,,,', 'S9,nobody@example.com,Gold,2026-01-01,,,', 'S10,ava@example.com,Platinum,2026-01-01,,,', 'S11,ava@example.com,Gold,2026-03-01,2026-02-01,,', 'S12,ava@example.com,Gold,2026-03-01,,10,10000000', 'S13,ava@example.com,Gold,,,,'].join('\n');
    const report = json<{ report: Report }>(await importCsv('subscriptions', csv, '', org)).report;
    expect(report.errors.map((e) => [e.row, e.column, e.message])).toEqual([
      [2, 'externalId', 'a subscription with this externalId already exists'],
      [3, 'contactEmail', 'no contact has the email nobody@example.com'],
      [4, 'plan', 'no plan is named "Platinum"'],
      [5, 'cancelledAt', 'must not be before startedAt'],
      [6, 'price', 'give price or priceMicros, not both'],
      [7, 'startedAt', 'is required'],
    ]);
  });

  it('imports payments with exact amounts, refunds and failures, linked to subscriptions', async () => {
    const csv = [
      'Transaction ID,Member ID,Subscription ID,Amount,Status,Refunded,Failure Reason,Date,Method',
      'P1,C1,S1,59.00,succeeded,,,2026-01-01 08:00,Card',
      'P2,C1,S1,59.00,Partially Refunded,9.99,,2026-02-01 08:00,card',
      'P3,C2,,450.00,refunded,,,2025-06-01,bank transfer',
      'P4,C3,S3,39.00,failed,,Insufficient funds,2026-02-01,direct debit',
    ].join('\r\n');
    expect(await ok(await importCsv('payments', csv, '', org))).toMatchObject({ imported: 4, failed: 0 });
    const pays = json<{ items: Row[] }>(await api('GET', '/payments?sortBy=paidAt&sortOrder=asc', org)).items;
    expect(pays.map((p) => [p.externalId, p.amountMicros, p.status, p.refundedMicros, p.method, p.failureReason, p.subscriptionId !== null])).toEqual([
      ['P3', 450_000_000, 'refunded', 450_000_000, 'bank_transfer', null, false],
      ['P1', 59_000_000, 'succeeded', 0, 'card', null, true],
      ['P4', 39_000_000, 'failed', 0, 'direct_debit', 'Insufficient funds', true],
      ['P2', 59_000_000, 'partially_refunded', 9_990_000, 'card', null, true],
    ]);

    const bad = ['externalId,contactExternalId,subscriptionExternalId,amount,status,refunded,paidAt', 'P5,C2,S1,10,succeeded,,2026-01-01', 'P6,C1,,10,succeeded,5,2026-01-01', 'P7,C1,,ten,succeeded,,2026-01-01', 'P1,C1,,10,succeeded,,2026-01-01', 'P8,C1,,10,succeeded,,'].join('\n');
    const report = json<{ report: Report }>(await importCsv('payments', bad, '', org)).report;
    expect(report.errors.map((e) => [e.row, e.column])).toEqual([
      [2, 'subscriptionExternalId'],
      [3, 'refunded'],
      [4, 'amount'],
      [5, 'externalId'],
      [6, 'paidAt'],
    ]);
  });

  it('exports what it imports: a round trip into another organization, formula injection guarded', async () => {
    const tricky = await api('POST', '/contacts', org, { firstName: '=HYPERLINK("http://evil.example")', lastName: '@SUM(A1)', email: 'tricky@example.com', phone: '+1 555 0199', tags: ['-x', 'vip'], smsConsent: true });
    expect(tricky.statusCode, tricky.body).toBe(201);
    const exported: Record<string, string> = {};
    for (const entity of ['contacts', 'subscriptions', 'payments']) {
      const res = await api('GET', `/export/${entity}.csv`, org);
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
      expect(res.headers['content-disposition']).toMatch(new RegExp(`attachment; filename="fitness-${entity}-\\d{4}-\\d\\d-\\d\\d.csv"`));
      exported[entity] = res.body;
    }
    expect(exported.contacts).toContain(`"'=HYPERLINK(""http://evil.example"")"`);
    expect(exported.contacts).toContain("'@SUM(A1)");
    expect(exported.contacts).toContain("'+1 555 0199");
    expect(exported.contacts).toContain("'-x; vip");
    for (const line of exported.contacts!.split('\r\n')) expect(line).not.toMatch(/(^|,)[=+\-@]/);
    expect(parseCsv(exported.payments!).records).toHaveLength(4);
    // Page by page (one row a page here) gives the same file.
    for (const entity of ['contacts', 'subscriptions', 'payments'] as const) {
      let paged = '';
      for await (const chunk of exportCsv(t.ctx.database, org.orgId, entity, 1)) paged += chunk;
      expect(paged).toBe(exported[entity]);
    }

    const other = await seedMember(t.ctx, 'owner');
    for (const [name, price, interval] of [['Gold', 1, 'month'], ['Yearly', 1, 'year']] as const) {
      expect((await api('POST', '/plans', other, { name, priceMicros: price, billingInterval: interval })).statusCode).toBe(201);
    }
    for (const entity of ['contacts', 'subscriptions', 'payments']) {
      const report = await ok(await importCsv(entity, exported[entity]!, '', other));
      expect(report.failed, JSON.stringify(report.errors)).toBe(0);
      expect(report.columns).toContainEqual({ column: 'id', field: null });
    }
    for (const entity of ['contacts', 'subscriptions', 'payments']) {
      const again = (await api('GET', `/export/${entity}.csv`, other)).body;
      // Same rows and values, apart from the ids and creation times of the new organization's rows.
      const strip = (csv: string) =>
        parseCsv(csv)
          .records.map((r) => r.cells.slice(1, -1).join('|'))
          .sort();
      expect(strip(again)).toEqual(strip(exported[entity]!));
    }
    const copy = json<{ items: Row[] }>(await api('GET', '/contacts?q=tricky', other)).items[0]!;
    expect(copy).toMatchObject({ firstName: '=HYPERLINK("http://evil.example")', lastName: '@SUM(A1)', phone: '+1 555 0199', tags: ['-x', 'vip'], smsConsent: true });
  });
});

describe('a large import', () => {
  it('imports 10,000 contacts in one request (over the default body limit)', { timeout: 120_000 }, async () => {
    const org = await seedMember(t.ctx, 'owner');
    const lines = ['externalId,firstName,lastName,email,phone,status,tags,source,joinedAt,emailConsent,smsConsent'];
    for (let i = 0; i < 10_000; i++) {
      lines.push(`M${i},First${i},"Last, ${i}",member${i}@bulk.example.com,+1 555 ${String(i).padStart(7, '0')},${i % 5 ? 'active' : 'lead'},"regular;cohort-${i % 12}",website,2025-0${(i % 9) + 1}-15 10:00,${i % 2 ? 'yes' : 'no'},no`);
    }
    const csv = lines.join('\r\n');
    expect(csv.length).toBeGreaterThan(1024 * 1024);
    const started = Date.now();
    const report = await ok(await importCsv('contacts', csv, '', org));
    const ms = Date.now() - started;
    expect(report).toMatchObject({ rows: 10_000, imported: 10_000, failed: 0 });
    console.log(`imported 10,000 contacts in ${ms} ms`);
    const page = json<{ total: number; items: Row[] }>(await api('GET', '/contacts?q=member9999@bulk.example.com', org));
    expect(page.total).toBe(1);
    expect(page.items[0]).toMatchObject({ externalId: 'M9999', lastName: 'Last, 9999', tags: ['regular', 'cohort-3'], emailConsent: true, status: 'active' });
    expect(json<{ total: number }>(await api('GET', '/contacts?kind=lead&limit=1', org)).total).toBe(2000);
  });
});
