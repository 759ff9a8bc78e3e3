import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { getOnce } from '../../../support/cluster-workers';
import { startSupervisedApp } from '../../../support/supervised-app';
import { makeFixtureRelease } from '../../../support/fixture-releases';
import { freePort } from '../../../support/free-port';
import { spawnSupervisor, type SpawnedSupervisor } from '../../../support/spawned-supervisor';
import { withTimeout } from '../../../support/with-timeout';

describe("workers get the app's command line, not the agent's", () => {
  let root: string | undefined;
  let primary: SpawnedSupervisor | undefined;
  afterEach(async () => {
    primary?.kill();
    if (primary) await withTimeout(primary.exited, 15_000, 'the spawned supervisor to exit');
    primary = undefined;
    if (root) rmSync(root, { recursive: true, force: true });
  });

  it("a worker's process.argv has no arguments of the primary and its execArgv is only the drain preload", async () => {
    root = mkdtempSync(path.join(tmpdir(), 'deployctl-argv-'));
    const port = await freePort();
    // The primary runs with arguments of its own (<dir> <version> <port> <workers> <timeout>) and a node option.
    primary = await spawnSupervisor(makeFixtureRelease(root, 'v1'), port, 2, 5000, ['--max-old-space-size=256']);

    for (let i = 0; i < 4; i++) {
      const { status, body } = await getOnce(port, '/argv');
      expect(status).toBe(200);
      const { argv, execArgv } = JSON.parse(body) as { argv: string[]; execArgv: string[] };
      expect(argv).toEqual([]);
      expect(execArgv).toHaveLength(2);
      expect(execArgv[0]).toBe('--require');
      expect(path.basename(execArgv[1] ?? '')).toBe('drain-preload.js');
    }
  });

  it('a worker gets the arguments app.args names, and only those', async () => {
    const app = await startSupervisedApp({ workers: 2, args: ['--mode', 'web'] });
    try {
      for (let i = 0; i < 4; i++) {
        const { argv } = JSON.parse((await getOnce(app.port, '/argv')).body) as { argv: string[] };
        expect(argv).toEqual(['--mode', 'web']);
      }
    } finally {
      await app.close();
    }
  });
});
