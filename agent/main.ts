#!/usr/bin/env -S node --max-semi-space-size=2 --initial-old-space-size=32 --expose-gc
/**
 * deploy-agent: the process wrapper. Reads the flags and the config, starts
 * the agent, wires signals. The only place that exits the process.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Agent } from './agent';
import { DEFAULT_CONFIG_PATH } from './config/defaults';
import { loadConfig } from './config/load';
import { checkStoreDirectory } from './config/store-dir';
import { controlCommandsHelp, findControlCommand, runControlCommand } from './control/control-cli';
import { DeployError } from './errors';
import { stopBudgetMs } from './lifecycle/stop-budget';
import { handleSignals } from './lifecycle/signals';
import { createLogger } from './log/logger';
import { versionLine } from './package-version';

const HELP = `Usage: deploy-agent [--config FILE]
       deploy-agent <command> [--socket PATH] [--config FILE] [--json]

Runs the app under node:cluster and converges this instance to the release
that the store's desired.json declares (see README).

Options:
  --config FILE   agent config (default ${DEFAULT_CONFIG_PATH})
  -h, --help      show this help
  --version       print the version

Commands, for a person on the instance (they ask the running agent over its
control socket; 'deploy-agent <command> --help' for more):
${controlCommandsHelp()}

Signals: SIGTERM/SIGINT stop gracefully (a second one forces), SIGHUP reloads the config.
Exit status: 2 for bad arguments or an invalid config (systemd does not restart it).`;

async function main(argv: string[]): Promise<void> {
  const control = findControlCommand(argv[0]);
  if (control) {
    process.exitCode = await runControlCommand(control, argv.slice(1), { stdout: process.stdout, stderr: process.stderr, cwd: process.cwd() });
    return;
  }
  let values: { config?: string | undefined; help?: boolean | undefined; version?: boolean | undefined };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: { config: { type: 'string' }, help: { type: 'boolean', short: 'h' }, version: { type: 'boolean' } },
      strict: true,
    }));
  } catch (error) {
    process.stderr.write(`deploy-agent: ${(error as Error).message} (see 'deploy-agent --help')\n`);
    process.exit(2);
  }
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return;
  }
  if (values.version) {
    process.stdout.write(`${versionLine('deploy-agent')}\n`);
    return;
  }
  const configPath = values.config ?? DEFAULT_CONFIG_PATH;
  let config;
  let storeProblem: DeployError | undefined;
  try {
    config = await loadConfig(configPath);
    storeProblem = await checkStoreDirectory(config, existsSync(path.join(config.releasesDir, 'current')));
  } catch (error) {
    process.stderr.write(`deploy-agent: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(2);
  }
  const log = createLogger();
  // A release on disk keeps serving through a store that is gone (an unmounted share): say so loudly.
  if (storeProblem) log.error({ code: storeProblem.code, err: storeProblem.message }, 'the store directory is missing; serving the release on disk');
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
