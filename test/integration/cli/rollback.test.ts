import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { DeployError } from '../../../agent/errors';
import { desiredSchema, type DesiredState } from '../../../agent/store/documents';
import { LocalStore } from '../../../agent/store/local-store';
import type { Versioned } from '../../../agent/store/release-store';
import { rollBack } from '../../../cli/publish/roll-back';
import { readInstanceReport, reportsLive, startAgentHarness, type AgentHarness } from '../../support/agent-harness';
import { lines, pushFixtures, readJson, runCli, snapshotDir } from '../../support/cli-harness';
import { waitUntil } from '../../support/with-timeout';

/**
 * A real local store where another push lands between rollback's read of
 * desired.json and its write: the first read returns what was there, then
 * desired.json is changed to v3 behind its back.
 */
class RacedStore extends LocalStore {
  private raced = false;

  override async readDesired(): Promise<Versioned<DesiredState> | undefined> {
    const read = await super.readDesired();
    if (!this.raced && read) {
      this.raced = true;
      await super.writeDesired({ version: 'v3', strategy: 'rolling', updatedAt: new Date().toISOString(), previous: read.value.version });
    }
    return read;
  }
}

describe('deployctl rollback with an agent', () => {
  let h: AgentHarness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it('flips desired.json to the version that went live before, says why, and --wait returns once the agent runs it again', async () => {
    h = await startAgentHarness({ instanceId: 'i-1' });
    await h.push('v1');
    await h.agent.start();
    await waitUntil(() => reportsLive(readInstanceReport((h as AgentHarness).store, 'i-1'), 'v1'), 20_000, 'i-1 to report v1 live');
    await h.agent.settled();
    await h.push('v2');
    await waitUntil(() => reportsLive(readInstanceReport((h as AgentHarness).store, 'i-1'), 'v2'), 20_000, 'i-1 to report v2 live');

    const run = await runCli(['rollback', '--store', h.store, '--wait', '--timeout', '25s'], { cwd: h.work });

    expect(run.code).toBe(0);
    expect(lines(run.stdout)).toEqual([
      expect.stringMatching(/^rolling back to v1: the newest version that went live before v2 \(first live on i-1 at .+\)$/),
      'desired.json -> v1 (was v2)',
      'v1 is live on 1 instance: i-1',
    ]);
    expect(desiredSchema.parse(await readJson(path.join(h.store, 'desired.json')))).toMatchObject({ version: 'v1', previous: 'v2', strategy: 'rolling' });
    expect(h.agent.status.version).toBe('v1');
    expect(readInstanceReport(h.store, 'i-1')).toMatchObject({ running: 'v1', desired: 'v1', state: 'idle', lastDeploy: { version: 'v1', result: 'succeeded' } });
  });
});

describe('deployctl rollback', () => {
  let work: string;
  let store: string;
  beforeEach(async () => {
    work = await mkdtemp(path.join(os.tmpdir(), 'deployctl-rollback-'));
    store = path.join(work, 'store');
  });
  afterEach(async () => {
    await rm(work, { recursive: true, force: true });
  });

  const push = (...versions: string[]): Promise<void> => pushFixtures(work, store, versions);

  const desired = async () => desiredSchema.parse(await readJson(path.join(store, 'desired.json')));

  it('goes to a named version that is in the store, with previous set to the one it replaces', async () => {
    await push('v1', 'v2', 'v3');

    const run = await runCli(['rollback', 'v1', '--store', store, '--json'], { cwd: work });

    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({ ok: true, noop: false, version: 'v1', previous: 'v3', reason: expect.stringMatching(/^named; no version has a went-live record/) });
    expect(await desired()).toMatchObject({ version: 'v1', previous: 'v3' });
  });

  it.each([
    ['an unknown version', ['v9'], /^deployctl: unknown version v9: releases\/v9\.json is not in .*store \(see 'deployctl releases'\)$/],
  ])('refuses %s and changes nothing', async (_, args, reason) => {
    await push('v1', 'v2');
    const before = await snapshotDir(store);

    const run = await runCli(['rollback', ...args, '--store', store], { cwd: work });

    expect(run.code).toBe(1);
    expect(lines(run.stderr)).toEqual([expect.stringMatching(reason)]);
    expect(await snapshotDir(store)).toEqual(before);
  });

  it('to the version already desired is a no-op with exit 0, and changes nothing', async () => {
    await push('v1', 'v2');
    const before = await snapshotDir(store);

    const run = await runCli(['rollback', 'v2', '--store', store], { cwd: work });

    expect(run).toMatchObject({ code: 0, stdout: 'v2 is already the desired version; nothing to do\n', stderr: '' });
    expect(await snapshotDir(store)).toEqual(before);
  });

  it('refuses when desired.json names no previous version', async () => {
    await push('v1');

    const run = await runCli(['rollback', '--store', store, '--json'], { cwd: work });

    expect(run.code).toBe(1);
    expect(lines(run.stderr)).toEqual([expect.stringMatching(/^deployctl: desired.json \(v1\) names no previous version; name the one to go to/)]);
    expect(JSON.parse(run.stdout)).toMatchObject({ ok: false, code: 'NO_PREVIOUS_VERSION' });
    expect(await desired()).toMatchObject({ version: 'v1' });
  });

  it('refuses when nothing was pushed, and an invalid version name with exit 2', async () => {
    await mkdir(store);
    const empty = await runCli(['rollback', '--store', store], { cwd: work });
    expect(empty.code).toBe(1);
    expect(lines(empty.stderr)).toEqual([expect.stringMatching(/^deployctl: there is no desired.json in .*nothing to roll back$/)]);

    const invalid = await runCli(['rollback', '../v1', '--store', store], { cwd: work });
    expect(invalid.code).toBe(2);
  });

  it('does not overwrite a push that lands between its read and its write (STORE_CONFLICT)', async () => {
    await push('v1', 'v2', 'v3');
    await runCli(['rollback', 'v2', '--store', store], { cwd: work }); // desired v2, previous v3

    const attempt = rollBack(new RacedStore(store), {});

    await expect(attempt).rejects.toThrow(DeployError);
    await expect(attempt).rejects.toMatchObject({
      code: 'STORE_CONFLICT',
      message: expect.stringMatching(/^rollback not done: desired.json changed while it ran \(desired.json now names v3: another push or rollback\)/),
    });
    expect(await desired()).toMatchObject({ version: 'v3', previous: 'v2' });
  });
});
