#!/usr/bin/env node
/**
 * deploy-agent: the process wrapper. Reads the flags and the config, starts
 * the agent, wires signals. The only place that exits the process.
 */
import { parseArgs } from 'node:util';
import { Agent } from './agent';
import { DEFAULT_CONFIG_PATH } from './config/defaults';
import { loadConfig } from './config/load';
import { controlCommandsHelp, findControlCommand, runControlCommand } from './control/control-cli';
import { DeployError } from './errors';
import { stopBudgetMs } from './lifecycle/stop-budget';
import { handleSignals } from './lifecycle/signals';
import { createLogger } from './log/logger';

const HELP = `Usage: deploy-agent [--config FILE]
       deploy-agent <command> [--socket PATH] [--json]

Runs the app under node:cluster and converges this instance to the release
that the store's desired.json declares (see README).

Options:
  --config FILE   agent config (default ${DEFAULT_CONFIG_PATH})
  --help          show this help

Commands, for a person on the instance (they ask the running agent over its
control socket; 'deploy-agent <command> --help' for more):
${controlCommandsHelp()}

Signals: SIGTERM/SIGINT stop gracefully (a second one forces), SIGHUP reloads the config.`;

async function main(argv: string[]): Promise<void> {
  const control = findControlCommand(argv[0]);
  if (control) {
    process.exitCode = await runControlCommand(control, argv.slice(1), { stdout: process.stdout, stderr: process.stderr, cwd: process.cwd() });
    return;
  }
  let values: { config?: string | undefined; help?: boolean | undefined };
  try {
    ({ values } = parseArgs({ args: argv, options: { config: { type: 'string' }, help: { type: 'boolean' } }, strict: true }));
  } catch (error) {
    process.stderr.write(`deploy-agent: ${(error as Error).message}\n${HELP}\n`);
    process.exit(2);
  }
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return;
  }
  const configPath = values.config ?? DEFAULT_CONFIG_PATH;
  let config;
  try {
    config = await loadConfig(configPath);
  } catch (error) {
    process.stderr.write(`deploy-agent: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(2);
  }
  const log = createLogger();
  const agent = new Agent(config, { log });
  handleSignals(agent, {
    stopTimeoutMs: stopBudgetMs(config.app, config.loadBalancer !== undefined),
    onExit: (code) => {
      log.info({ code }, 'deploy-agent stopped');
      process.exit(code);
    },
    log: (message) => log.info({}, message),
  });
  try {
    await agent.start();
  } catch (error) {
    log.fatal({ code: error instanceof DeployError ? error.code : 'UNEXPECTED', err: String(error) }, 'deploy-agent could not start');
    await agent.stop();
    process.exit(1);
  }
}

void main(process.argv.slice(2));
