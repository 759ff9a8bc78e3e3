import { mkdirSync, mkdtempSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import type { Release } from '../../../../agent/cluster/managed-worker';
import type { RollResult } from '../../../../agent/cluster/roll-types';
import { emptyState } from '../../../../agent/deploy/agent-state';
import { commitRelease, type CommitDeps, type CommitPlan } from '../../../../agent/deploy/commit-release';
import { createLogger } from '../../../../agent/log/logger';
import { FailingReleaseDirs } from '../../../support/failing-release-dirs';

/**
 * commitRelease when the rollback of the workers fails as well (the real
 * ReleaseDirs on a temp dir, failing on cue; a supervisor whose roll back to
 * v1 fails, as after a rollback that could not start v1 again): `kept` only
 * when `current` names the release the workers run.
 */
describe('commitRelease when the workers cannot roll back', () => {
  let root: string;
  let dirs: FailingReleaseDirs;
  const rolls: string[] = [];
  const failedRollBack = (release: Release): Promise<RollResult> => {
    rolls.push(release.version);
    const failure = { step: 'start' as const, slot: 0, version: release.version, reason: 'exit' as const, message: `worker of ${release.version} exited with code 1`, exit: undefined, stderr: [] };
    return Promise.resolve({ ok: false, version: release.version, previousVersion: 'v2', rollMs: null, durationMs: 1, failure, rolledBack: true });
  };

  beforeEach(async () => {
    root = mkdtempSync(path.join(tmpdir(), 'deployctl-commit-'));
    dirs = new FailingReleaseDirs(root);
    await dirs.prepare();
    for (const v of ['v1', 'v2']) mkdirSync(dirs.dirOf(v));
    await dirs.switchCurrent('v1');
    rolls.length = 0;
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  function commit(): Promise<unknown> {
    const deps: CommitDeps = {
      dirs,
      supervisor: { roll: failedRollBack },
      log: createLogger(new PassThrough(), 'silent'),
      rollingBack: () => Promise.resolve(),
      standDown: () => Promise.reject(new Error('not the first release: nothing to stand down')),
    };
    const plan: CommitPlan = {
      release: { version: 'v2', dir: dirs.dirOf('v2') },
      before: { version: 'v1', dir: dirs.dirOf('v1') },
      next: { ...emptyState(), current: 'v2', previous: 'v1' },
    };
    return commitRelease(deps, plan);
  }

  it('state.json failed, current pointed back, the workers stay on v2: current names v2 again and v2 is kept', async () => {
    dirs.failStateWhen = (state) => state.current === 'v2';
    await expect(commit()).resolves.toBe('kept');
    expect(rolls).toEqual(['v1']);
    expect(readlinkSync(dirs.currentLink)).toBe(path.join('releases', 'v2'));
  });

  it('current cannot name v2 at all, and the workers stay on v2: the commit fails (never kept with current naming v1)', async () => {
    dirs.failSwitchTo = 'v2';
    await expect(commit()).rejects.toMatchObject({ code: 'CURRENT_SWITCH_FAILED' });
    expect(rolls).toEqual(['v1']);
    expect(dirs.thrown).toEqual([expect.stringContaining('-> releases/v2'), expect.stringContaining('-> releases/v2')]);
    expect(readlinkSync(dirs.currentLink)).toBe(path.join('releases', 'v1'));
  });
});
