import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { c as createTar } from 'tar';
import { runCli, writeTree } from '../../support/cli-harness';
import { repoRoot } from '../../support/fixture-releases';
import { readmeShellCommands, readReadme } from '../../support/readme';

/**
 * "Every command in the README is run by a test or the demo." Each command of
 * the README's `sh` blocks is either run right here, verbatim, against a local
 * store (cheap `deployctl` ones), or named with the file that runs it and the
 * invocation that file holds. A README command in neither list fails.
 */
type Proof =
  | { readonly runHere: true }
  | { readonly runBy: ReadonlyArray<{ readonly file: string; readonly contains: string }> };

const RUN_HERE: Proof = { runHere: true };
/** The one-machine walk-through: run verbatim, block by block, by its own e2e test. */
const WALKTHROUGH: Proof = { runBy: [{ file: 'test/e2e/readme-walkthrough.test.ts', contains: "const HEADING = 'One machine by hand'" }] };

const PROOFS: Readonly<Record<string, Proof>> = {
  'npm ci && npm run demo': {
    runBy: [
      { file: '.ci/run', contains: 'npm ci' },
      { file: 'test/e2e/demo.test.ts', contains: "const DEMO_SCRIPT = 'dist/demo/demo.js'" },
    ],
  },
  'npm ci && npm test': {
    runBy: [
      { file: '.ci/run', contains: 'npm ci\n' },
      { file: '.ci/run', contains: '\nnpm test\n' },
    ],
  },
  'npm ci': { runBy: [{ file: '.ci/run', contains: 'npm ci\n' }] },
  ...Object.fromEntries(
    [
      'deploy-agent --config agent.json > agent.log &',
      'deployctl push v1 --dir app --store store --wait',
      'deployctl push v2 --dir app --store store --wait',
      'deployctl status --store store',
      'deploy-agent status --config agent.json',
      'deployctl rollback --store store --wait',
      'deployctl releases --store store',
    ].map((command) => [command, WALKTHROUGH]),
  ),
  'deployctl push v42 --dir ./build': RUN_HERE,
  'deployctl push v43 --file app.tar.gz': RUN_HERE,
  'deployctl push v44 --dir ./build --wait --timeout 10m': {
    runBy: [{ file: 'test/integration/cli/push-wait.test.ts', contains: "['--wait', '--timeout', '25s']" }],
  },
  'deployctl status': RUN_HERE,
  'deployctl releases': RUN_HERE,
  'deployctl rollback': RUN_HERE,
  'deployctl rollback v43': RUN_HERE,
  'deployctl rollback --wait': {
    runBy: [{ file: 'test/integration/cli/rollback.test.ts', contains: "runCli(['rollback', '--store', h.store, '--wait'" }],
  },
  'deployctl prune --keep 10 --dry-run': RUN_HERE,
  'deploy-agent --config /etc/deploy-agent/config.json': {
    runBy: [
      { file: 'test/support/spawned-agent.ts', contains: "'main.js'),\n    '--config',\n    configPath," },
      { file: 'test/integration/agent/lifecycle/restart-after-kill.test.ts', contains: 'spawnAgent(' },
    ],
  },
  'deploy-agent status': { runBy: [{ file: 'test/integration/agent/control/control-cli.test.ts', contains: "deployAgentBin(['status'" }] },
  'deploy-agent reload': { runBy: [{ file: 'test/integration/agent/control/control-socket.test.ts', contains: "runControl(['reload'" }] },
  'deploy-agent rollback': { runBy: [{ file: 'test/integration/agent/control/control-cli.test.ts', contains: "runControl(['rollback'" }] },
  'deployctl push v45 --dir ./build --strategy service-out --wait': {
    runBy: [
      { file: 'test/support/service-out-fleet.ts', contains: "['--strategy', pushOptions.strategy]" },
      { file: 'test/support/service-out-fleet.ts', contains: "args.push('--wait'" },
      { file: 'test/e2e/service-out.test.ts', contains: "strategy: 'service-out', wait: true" },
    ],
  },
  'deployctl push v47 --dir ./build --canary 1 --batch 2 --bake 30s': RUN_HERE,
  'deployctl rollout': RUN_HERE,
  'deployctl rollout pause': RUN_HERE,
  'deployctl rollout resume': RUN_HERE,
  'deployctl rollout abort': {
    runBy: [{ file: 'test/integration/agent/rollout/fleet-rollout.test.ts', contains: "cli('rollout', 'abort')" }],
  },
  'deployctl history': RUN_HERE,
  'deployctl push v50 --dir ./build --env-file prod.env --env LOG_LEVEL=debug --secret DB_PASSWORD=ssm:/app/prod/db-password': {
    runBy: [{ file: 'test/integration/cli/push-config.test.ts', contains: "'--env-file', 'prod.env', '--env', 'LOG_LEVEL=debug'" }],
  },
  'deployctl push v51 --from v50 --env LOG_LEVEL=info --secret DB_PASSWORD=ssm:/app/prod/db-password': {
    runBy: [{ file: 'test/e2e/release-config.test.ts', contains: "['push', 'v4', '--from', 'v1', '--store', rig.storeUrl, '--env', 'GREETING=hello', '--secret'" }],
  },
  'deployctl keygen --out ~/.deployctl': RUN_HERE,
  'deployctl push v46 --dir ./build --sign-key ~/.deployctl/deployctl-signing.key': RUN_HERE,
};

/** Files that count as running a command: a jest test, the CI entry point. */
const RUNNER = /(\.test\.ts|^\.ci\/run)$/;

const readmeCommands = readmeShellCommands(readReadme());
const proofs = Object.entries(PROOFS);

describe("the README's shell commands", () => {
  it('finds the commands of the quick start, the CLI reference and signed releases', () => {
    expect(readmeCommands).toEqual(expect.arrayContaining(['npm ci && npm run demo', 'npm ci && npm test', 'deployctl status', 'deploy-agent status']));
  });

  it('has a test or the demo behind every one (add it to PROOFS with what runs it, or take it out of the README)', () => {
    const unproven = readmeCommands.filter((command) => PROOFS[command] === undefined);
    expect(unproven).toEqual([]);
  });

  it('lists no command the README no longer shows', () => {
    const stale = Object.keys(PROOFS).filter((command) => !readmeCommands.includes(command));
    expect(stale).toEqual([]);
  });

  test.each(proofs.filter(([, proof]) => 'runBy' in proof))('%s is run where PROOFS says', (_command, proof) => {
    const runBy = 'runBy' in proof ? proof.runBy : [];
    expect(runBy.some((r) => RUNNER.test(r.file))).toBe(true);
    for (const { file, contains } of runBy) {
      const full = path.join(repoRoot(), file);
      expect({ file, exists: existsSync(full) }).toEqual({ file, exists: true });
      expect({ file, holds: readFileSync(full, 'utf8').includes(contains) }).toEqual({ file, holds: true });
    }
  });

  describe('the ones run here, verbatim and in README order, against a local store', () => {
    let work: string;
    beforeAll(async () => {
      work = await mkdtemp(path.join(os.tmpdir(), 'deployctl-readme-'));
      await writeTree(path.join(work, 'build'), {
        'server.js': "require('node:http').createServer((req, res) => res.end('ok')).listen(Number(process.env.PORT));\n",
        'package.json': '{ "name": "app", "main": "server.js" }\n',
      });
      await createTar({ file: path.join(work, 'app.tar.gz'), gzip: true, cwd: path.join(work, 'build') }, ['server.js', 'package.json']);
    });
    afterAll(async () => {
      await rm(work, { recursive: true, force: true });
    });

    const runHere = readmeCommands.filter((command) => PROOFS[command] !== undefined && 'runHere' in (PROOFS[command] as Proof));

    test.each(runHere)('%s exits 0', async (command) => {
      // What the shell would do: expand ~, split on spaces (README commands have no quotes).
      const home = path.join(work, 'home');
      const [tool, ...args] = command.replace(/(^| )~\//g, `$1${home}/`).split(' ');
      expect(tool).toBe('deployctl');
      const run = await runCli(args, { cwd: work, env: { DEPLOYCTL_STORE: path.join(work, 'store'), HOME: home } });
      expect({ command, code: run.code, stderr: run.stderr.split('\n').filter((l) => l.startsWith('deployctl:')) }).toEqual({
        command,
        code: 0,
        stderr: [],
      });
    });
  });
});
