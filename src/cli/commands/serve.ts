import type { Command } from 'commander';
import type { AppContext } from '../../app.js';
import { loadConfig } from '../../config/load.js';
import { CliError } from '../run.js';

const ROLES = {
  serve: { api: true, worker: true, scheduler: true, what: 'Start Troupe: the API, a worker and the scheduler in one process (the default)' },
  api: { api: true, worker: false, scheduler: false, what: 'Start only the API (needs REDIS_URL: runs go to `troupe worker` processes)' },
  worker: { api: false, worker: true, scheduler: false, what: 'Start only a worker: executes runs from the queue (needs REDIS_URL and DATABASE_URL)' },
  scheduler: { api: false, worker: false, scheduler: true, what: 'Start only the scheduler: fires schedules; several may run, one leads (needs DATABASE_URL)' },
} as const;

/** The metrics port's server on this process's registry and readiness checks. */
async function startProbes(ctx: AppContext, port: number) {
  const [{ startMetricsServer }, { readiness }, { VERSION }] = await Promise.all([
    import('../../observability/metrics-server.js'),
    import('../../api/health.js'),
    import('../../shared/version.js'),
  ]);
  return startMetricsServer({
    port,
    host: ctx.config.HOST,
    registry: ctx.metrics,
    token: ctx.config.TROUPE_METRICS_TOKEN,
    version: VERSION,
    ready: () => readiness(ctx),
    logger: ctx.logger,
  });
}

export function registerServeCommands(program: Command) {
  for (const [name, role] of Object.entries(ROLES)) {
    const cmd = program.command(name).description(role.what);
    if (role.api) cmd.option('-p, --port <port>', 'port to listen on (overrides PORT)').option('--host <host>', 'interface to bind (overrides HOST)');
    cmd.action(async (opts: { port?: string; host?: string }) => {
      const config = loadConfig({
        ...process.env,
        ...(opts.port !== undefined ? { PORT: opts.port } : {}),
        ...(opts.host !== undefined ? { HOST: opts.host } : {}),
      });
      // Split roles only make sense when processes share the work through PostgreSQL and Redis.
      if (name !== 'serve' && !config.DATABASE_URL) {
        throw new CliError(`troupe ${name} runs beside other Troupe processes, which needs a shared PostgreSQL: set DATABASE_URL (or use troupe serve)`);
      }
      if ((name === 'api' || name === 'worker') && !config.REDIS_URL) {
        throw new CliError(`troupe ${name} hands runs between processes through Redis: set REDIS_URL (or use troupe serve)`);
      }
      // Imported here, so that other commands do not load the whole server to start.
      const { startServer, stopOnSignals } = await import('../../api/start.js');
      const server = await startServer(config, console.log, { api: role.api, worker: role.worker, scheduler: role.scheduler });
      // TROUPE_METRICS_PORT: /health, /ready and /metrics on a port of their own (how a worker or
      // a scheduler, which have no API, are probed and scraped; an API process has them on its port too).
      const metricsServer = config.TROUPE_METRICS_PORT === undefined ? null : await startProbes(server.ctx, config.TROUPE_METRICS_PORT).catch(async (err: unknown) => {
        await server.stop().catch(() => {});
        throw new CliError(`could not listen on TROUPE_METRICS_PORT ${config.TROUPE_METRICS_PORT}: ${(err as Error).message}`);
      });
      if (metricsServer) console.log(`Health, readiness and metrics at ${metricsServer.url} (/health, /ready, /metrics)`);
      stopOnSignals({
        ...server,
        async stop() {
          await metricsServer?.close();
          await server.stop();
        },
      });
    });
  }
}
