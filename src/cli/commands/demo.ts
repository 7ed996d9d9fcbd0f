import { writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { asc } from 'drizzle-orm';
import { z } from 'zod';
import { organizations } from '../../auth/schema.js';
import type { Database } from '../../db/client.js';
import { DEFAULT_DEMO_MEMBERS, DEFAULT_DEMO_SEED } from '../../packs/fitness/demo/generate.js';
import { fillDemoGym, MAX_DEMO_MEMBERS, type DemoSummary } from '../../packs/fitness/demo/service.js';
import { groundTruth } from '../../packs/fitness/demo/truth.js';
import { withContext } from '../admin/context.js';
import { flagName, invalidInput } from '../errors.js';
import { formatTable, printJson, printLine, printNote } from '../output.js';
import { CliError } from '../run.js';

const demoFlags = z.object({
  org: z.uuid('must be an organization id (UUID)').optional(),
  seed: z.coerce.number().int('must be a whole number').min(0).max(2_147_483_647).default(DEFAULT_DEMO_SEED),
  members: z.coerce.number().int('must be a whole number').min(1).max(MAX_DEMO_MEMBERS).default(DEFAULT_DEMO_MEMBERS),
  asOf: z.iso.date('must be a date: YYYY-MM-DD').optional(),
  truth: z.string().min(1).optional(),
});

interface DemoOptions {
  org?: string;
  seed?: string;
  members?: string;
  asOf?: string;
  truth?: string;
  json?: boolean;
}

/**
 * `troupe demo`: fills an organization with the demo gym (direct database access). Without
 * --org, the install's only organization. Refused when the organization already has gym data.
 */
export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description('Fill an organization with a demo gym: 12 months of members, payments, classes, bookings and leads (direct database access)')
    .option('--org <orgId>', 'organization id (default: the only organization)')
    .option('--seed <n>', `the same seed makes the same gym (default ${DEFAULT_DEMO_SEED})`)
    .option('--members <n>', `members with a subscription, leads come on top (default ${DEFAULT_DEMO_MEMBERS}, at most ${MAX_DEMO_MEMBERS})`)
    .option('--as-of <date>', "the gym's today, YYYY-MM-DD (default: today, UTC)")
    .option('--truth <file>', 'also write the ground truth of every analytics report (JSON) to this file')
    .option('--json', 'print the summary as JSON')
    .action(async (opts: DemoOptions) => {
      const parsed = demoFlags.safeParse(opts);
      if (!parsed.success) throw invalidInput('demo options', parsed.error, flagName);
      const { seed, members, truth } = parsed.data;
      const asOf = parsed.data.asOf ? new Date(`${parsed.data.asOf}T00:00:00Z`) : undefined;
      const { summary, file } = await withContext(async (ctx) => {
        const org = parsed.data.org ?? (await onlyOrganization(ctx.database));
        if (!(await ctx.services.orgs.exists(org))) throw new CliError(`--org: no organization with the id ${org}`);
        const filled = await fillDemoGym(ctx.database, org, { seed, members, asOf });
        if (truth) await writeFile(truth, `${JSON.stringify(groundTruth(filled.gym), null, 2)}\n`);
        return { summary: filled.summary, file: truth };
      });
      if (opts.json) return printJson(summary);
      printSummary(summary);
      if (file) printNote(`Wrote the ground truth of every analytics report to ${file}`);
    });
}

async function onlyOrganization(database: Database): Promise<string> {
  const orgs = await database.system((tx) => tx.select({ id: organizations.id, name: organizations.name }).from(organizations).orderBy(asc(organizations.createdAt)).limit(6));
  if (orgs.length === 0) throw new CliError('there is no organization yet: create one (troupe org create, or sign up in the dashboard), then run troupe demo');
  if (orgs.length > 1) {
    const listed = orgs
      .slice(0, 5)
      .map((o) => `  ${o.id}  ${o.name}`)
      .join('\n');
    throw new CliError(`--org is needed: this install has ${orgs.length > 5 ? 'more than 5' : orgs.length} organizations:\n${listed}`);
  }
  return orgs[0]!.id;
}

function printSummary(s: DemoSummary): void {
  printLine(`Filled organization ${s.orgId} with the demo gym (seed ${s.seed}, as of ${s.asOf.slice(0, 10)}): ${s.members} members, ${s.leads} leads.`);
  printLine(formatTable([{ header: 'TABLE', value: (r: [string, number]) => r[0] }, { header: 'ROWS', value: (r: [string, number]) => r[1].toLocaleString('en-US') }], Object.entries(s.rows).map(([table, n]) => [table.replace(/[A-Z]/g, (c) => ` ${c.toLowerCase()}`), n] as [string, number])));
  printLine(`${s.totalRows.toLocaleString('en-US')} rows: generated in ${s.generateMs} ms, written in ${s.insertMs} ms, analyzed in ${s.analyzeMs} ms.`);
}
