#!/usr/bin/env node
import { Command } from 'commander';
import { registerAdminCommands } from './commands/admin.js';
import { registerAgentCommands } from './commands/agents.js';
import { registerServeCommands } from './commands/serve.js';
import { runCli } from './run.js';

/** `troupe`: serve and administer a Troupe server. See README "CLI". */
const program = new Command()
  .name('troupe')
  .description('Run a workforce of AI agents for your organization')
  .version('0.1.0')
  .showHelpAfterError()
  .configureOutput({ outputError: (str, write) => write(str) });

registerServeCommands(program);
registerAdminCommands(program);
registerAgentCommands(program);

await runCli(program, process.argv);
