import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runCli } from '../../../support/cli-harness';
import { makeFixtureRelease } from '../../../support/fixture-releases';
import { freePort } from '../../../support/free-port';
import { servedVersion, spawnAgent, type SpawnedAgent } from '../../../support/spawned-agent';
import { waitUntil, withTimeout } from '../../../support/with-timeout';

describe('deploy-agent killed with SIGKILL', () => {
  let work: string;
  const agents: SpawnedAgent[] = [];
  beforeEach(() => {
    work = mkdtempSync(path.join(tmpdir(), 'deployctl-kill-'));
  });
  afterEach(async () => {
    for (const agent of agents.splice(0)) {
      agent.kill('SIGKILL');
      await withTimeout(agent.exited, 10_000, 'the agent to exit');
    }
    rmSync(work, { recursive: true, force: true });
  });

  it('serves current after a restart with the store gone, without fetching it again', async () => {
    const store = path.join(work, 'store');
    const port = await freePort();
    const source = makeFixtureRelease(path.join(work, 'src'), 'v1', { bootMs: 0 });
    expect((await runCli(['push', 'v1', '--dir', source.dir, '--store', store], { cwd: work })).code).toBe(0);
    const config = path.join(work, 'agent.json');
    writeFileSync(
      config,
      JSON.stringify({ store, releasesDir: path.join(work, 'agent'), pollIntervalMs: 200, app: { port, workers: 1 }, control: { socket: path.join(work, 'agent.sock') } }),
    );

    const first = spawnAgent(config);
    agents.push(first);
    await waitUntil(async () => (await servedVersion(port)) === 'v1', 20_000, 'the first agent to serve v1');
    first.kill('SIGKILL');
    await withTimeout(first.exited, 10_000, 'the killed agent to exit');
    await waitUntil(async () => (await servedVersion(port)) === undefined, 10_000, 'the old workers to be gone');

    // The store is gone: serving again can only come from what is on disk.
    renameSync(store, `${store}.away`);
    const second = spawnAgent(config);
    agents.push(second);
    await waitUntil(async () => (await servedVersion(port)) === 'v1', 20_000, 'the restarted agent to serve current (v1)');

    // The log line follows once every worker is ready; the first one already answered.
    await waitUntil(() => second.logs.some((l) => l.msg === 'serving v1 (current)'), 10_000, "the agent's 'serving v1 (current)' log");
    expect(second.logs.some((l) => l.step === 'fetching' || l.step === 'unpacking')).toBe(false);
    // The killed agent left its control socket behind; nobody answers on it, so the new agent takes it over.
    expect(second.logs).toContainEqual(expect.objectContaining({ msg: expect.stringMatching(/removed a stale control socket/) }));
  });
});
