import { readdirSync } from 'node:fs';
import { setPriority } from 'node:os';
import type { FastifyInstance } from 'fastify';
import type { Config } from '../config/load.js';
import { createContext, type AppContext } from '../app.js';
import { buildServer } from './server.js';

export interface RunningServer {
  /** Null in a process without the API role. */
  app: FastifyInstance | null;
  ctx: AppContext;
  url: string;
  stop(): Promise<void>;
}

/**
 * Starts the API: opens the database (migrating it), handles first-run setup, listens, and prints
 * where to go. Prints a human-readable start-up banner (to stdout by default) besides the JSON log.
 */
/** What a process does: `troupe serve` is all three; distributed installs split them. */
export interface Roles {
  api: boolean;
  worker: boolean;
  scheduler: boolean;
}

export const ALL_ROLES: Roles = { api: true, worker: true, scheduler: true };

/**
 * Starts this process's roles. With `api`: opens the database (migrating it), handles first-run
 * setup, listens, and prints where to go. `worker` and `scheduler` alone listen on nothing.
 */
export async function startServer(config: Config, print: (text: string) => void = console.log, roles: Roles = ALL_ROLES): Promise<RunningServer> {
  const role = roles.api && roles.worker && roles.scheduler ? 'serve' : roles.api ? 'api' : roles.worker ? 'worker' : 'scheduler';
  const ctx = await createContext(config, { role });
  let app: FastifyInstance | null = null;
  try {
    let url = '';
    if (roles.api) {
      const boot = await ctx.services.auth.bootstrap();
      app = await buildServer(ctx);
      await app.listen({ port: config.PORT, host: config.HOST });
      const address = app.server.address();
      const port = typeof address === 'object' && address ? address.port : config.PORT;
      url = config.TROUPE_PUBLIC_URL ?? `http://${config.HOST === '0.0.0.0' || config.HOST === '::' ? 'localhost' : config.HOST}:${port}`;

      const lines: string[] = [];
      const out = (line: string) => lines.push(line);
      out(`Troupe is running at ${url}  (API docs: ${url}/docs)`);
      // Inbound mail (docs/email.md): the public-facing processes listen when a port is set.
      const smtp = ctx.services.emailInboxes.settings;
      if (smtp.smtpPort !== null) {
        const port = await ctx.services.smtpListener.start(smtp.smtpPort);
        out(`Inbound mail: SMTP on ${smtp.smtpHost}:${port} for *@${smtp.domain}`);
      }
      out(`Database: ${ctx.database.embedded ? `embedded ${ctx.database.kind === 'postgres' ? 'PostgreSQL' : 'PGlite'}, in ${config.dataDir}` : 'PostgreSQL'}`);
      if (boot.kind === 'setup_token') {
        // The token goes to the person at the terminal only: log collectors keep JSON lines.
        ctx.logger.info('first start: a one-time setup token was issued (printed in the start-up banner, never logged)');
        out('');
        for (const line of setupTokenBox(url, boot.token)) out(line);
        out('Or with the API:');
        out(`  curl -X POST ${url}/api/v1/setup -H 'content-type: application/json' \\`);
        out(`    -d '{"token":"${boot.token}","email":"you@example.com","password":"a long password","name":"You","organizationName":"My organization"}'`);
        if (config.TROUPE_ALLOW_SIGNUP) out(`Or simply sign up: POST ${url}/api/v1/auth/signup`);
      } else if (boot.kind === 'owner_created') {
        out(`First start: created the owner ${boot.email} from TROUPE_OWNER_EMAIL; sign in with POST ${url}/api/v1/auth/signin`);
      }
      // One write, so the banner is never interleaved with log lines.
      print(lines.join('\n'));
    } else {
      print(`Troupe ${[roles.worker && 'worker', roles.scheduler && 'scheduler'].filter(Boolean).join(' and ')} started (${config.REDIS_URL ? 'BullMQ on Redis' : 'in-process dispatch'}, ${ctx.database.embedded ? 'embedded database' : 'PostgreSQL'})`);
    }

    // A process that is only a worker yields the CPU to the API and the database where they share
    // a machine (decision 68): its work is background work, a request is someone waiting.
    if (role === 'worker' && config.TROUPE_WORKER_NICE > 0) {
      try {
        lowerPriority(config.TROUPE_WORKER_NICE);
      } catch (err) {
        ctx.logger.warn({ err, nice: config.TROUPE_WORKER_NICE }, 'could not lower the worker process priority; running at the normal one');
      }
    }
    // Worker: takes runs (and picks up those left queued or orphaned by a previous process);
    // scheduler: fires schedules, one leader at a time.
    ctx.startRoles(roles);

    // Housekeeping: expired and long-revoked refresh tokens, expired sign-up links, stale lockout
    // counts. Idempotent, so it is harmless when several API processes each run it.
    const prune = () => ctx.services.auth.prune().catch((err: unknown) => ctx.logger.warn({ err }, 'pruning sessions failed'));
    const housekeeping = setInterval(prune, 3_600_000);
    housekeeping.unref();
    if (roles.api) void prune();

    const running = app;
    return {
      app: running,
      ctx,
      url,
      async stop() {
        clearInterval(housekeeping);
        await running?.close();
        await ctx.close();
      },
    };
  } catch (err) {
    await app?.close().catch(() => {});
    await ctx.close().catch(() => {});
    throw err;
  }
}

/**
 * The first-start notice as a box a person notices among log lines: where to open the setup page
 * and the one-time token to enter there.
 */
export function setupTokenBox(url: string, token: string): string[] {
  const body = [
    'First start: no account exists yet.',
    'Create the owner and the first organization:',
    '',
    `  1. Open ${url}/setup`,
    '  2. Enter this one-time setup token:',
    '',
    `       ${token}`,
    '',
    'A new token replaces this one at every start until setup is done.',
  ];
  const width = Math.max(...body.map((l) => l.length));
  return [`┌${'─'.repeat(width + 2)}┐`, ...body.map((l) => `│ ${l.padEnd(width)} │`), `└${'─'.repeat(width + 2)}┘`];
}

/**
 * Stops cleanly on SIGTERM/SIGINT: stops taking work, finishes in-flight requests, gives active
 * runs the shutdown grace to reach a step boundary (the rest are handed back), closes the
 * database, then exits; forced after `graceMs` (the grace plus 15 s).
 */
export function stopOnSignals(server: RunningServer, graceMs = (server.ctx.config.TROUPE_SHUTDOWN_GRACE_SECONDS + 15) * 1000) {
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    server.ctx.logger.info({ signal }, 'shutting down');
    const force = setTimeout(() => process.exit(1), graceMs);
    force.unref();
    server.stop().then(
      () => process.exit(0),
      (err) => {
        server.ctx.logger.error({ err }, 'error during shutdown');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

/**
 * Lowers this process's CPU priority. On Linux a priority belongs to a thread: the threads V8
 * started before this call (its garbage collector's helpers) would keep the normal one, and in a
 * busy worker they take a fifth of its CPU, so each thread of the process is lowered. Threads
 * started later inherit it. Elsewhere the call covers the process.
 */
export function lowerPriority(nice: number): void {
  setPriority(nice);
  let threads: string[] = [];
  try {
    threads = readdirSync('/proc/self/task');
  } catch {
    return;
  }
  for (const tid of threads) {
    try {
      setPriority(Number(tid), nice);
    } catch {
      // A thread that ended meanwhile.
    }
  }
}
