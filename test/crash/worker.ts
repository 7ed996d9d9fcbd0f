// A worker process for the crash test: executes one run with the real engine, providers and
// database, then exits. Usage: node --import tsx test/crash/worker.ts <orgId> <runId>
// (DATABASE_URL and TROUPE_SECRET_KEY from the environment).
import { createContext } from '../../src/app.js';
import { loadConfig } from '../../src/config/load.js';

const [orgId, runId] = process.argv.slice(2);
if (!orgId || !runId) throw new Error('usage: worker.ts <orgId> <runId>');
const ctx = await createContext(loadConfig(process.env));
process.stdout.write('ready\n');
await ctx.services.executor.execute(orgId, runId);
process.stdout.write('done\n');
await ctx.close();
