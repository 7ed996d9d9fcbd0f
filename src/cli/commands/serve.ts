import type { Command } from 'commander';
import { loadConfig } from '../../config/load.js';

export function registerServeCommands(program: Command) {
  program
    .command('serve')
    .description('Start the Troupe server (API; later also worker and scheduler) with the configuration from the environment')
    .option('-p, --port <port>', 'port to listen on (overrides PORT)')
    .option('--host <host>', 'interface to bind (overrides HOST)')
    .action(async (opts: { port?: string; host?: string }) => {
      const config = loadConfig({
        ...process.env,
        ...(opts.port !== undefined ? { PORT: opts.port } : {}),
        ...(opts.host !== undefined ? { HOST: opts.host } : {}),
      });
      // Imported here, so that other commands do not load the whole server to start.
      const { startServer, stopOnSignals } = await import('../../api/start.js');
      const server = await startServer(config);
      stopOnSignals(server);
    });
}
