// A worker process for the crash tests (workflows, event triggers): the app's own worker (in-process queue,
// recovery sweep at start and every TROUPE_RECOVER_EVERY_SECONDS, the trigger processor), running until it is killed.
// Usage: node --import tsx test/crash/workflow-worker.ts (DATABASE_URL and TROUPE_SECRET_KEY from the environment).
import { createContext } from '../../src/app.js';
import { loadConfig } from '../../src/config/load.js';

const ctx = await createContext(loadConfig(process.env));
ctx.startRoles({ worker: true, scheduler: false });
process.stdout.write('ready\n');
process.on('SIGTERM', () => void ctx.close().then(() => process.exit(0)));
