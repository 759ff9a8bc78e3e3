import { existsSync } from 'node:fs';
import path from 'node:path';
import { desiredSchema } from '../../../agent/store/documents';
import { readInstanceReport, reportsLive, startAgentHarness, type AgentHarness } from '../../support/agent-harness';
import { lines, readJson, runCli } from '../../support/cli-harness';
import { waitUntil } from '../../support/with-timeout';

/** #12.3: rollback goes to what worked, by the went-live records the agents write (live/<version>.json). */
describe('deployctl rollback goes to what went live', () => {
  let h: AgentHarness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  const live = async (harness: AgentHarness, version: string) => {
    await waitUntil(() => reportsLive(readInstanceReport(harness.store, 'i-1'), version), 30_000, `i-1 to report ${version} live`);
    await harness.agent.settled();
  };

  it('skips a version that never went live, even twice in a row; a named never-live one needs --force; history lists it all', async () => {
    const harness = await startAgentHarness({ instanceId: 'i-1' });
    h = harness;
    const cli = (...args: string[]) => runCli([...args, '--store', harness.store], { cwd: harness.work });
    const desired = async () => desiredSchema.parse(await readJson(path.join(harness.store, 'desired.json')));
    await harness.push('v1');
    await harness.agent.start();
    await live(harness, 'v1');
    await harness.push('v2');
    await live(harness, 'v2');
    await harness.push('v3', { mode: 'crash-on-boot' });
    await waitUntil(() => readInstanceReport(harness.store, 'i-1')?.lastDeploy?.version === 'v3', 30_000, 'i-1 to report the failed v3');
    expect(existsSync(path.join(harness.store, 'live', 'v1.json'))).toBe(true);
    expect(existsSync(path.join(harness.store, 'live', 'v2.json'))).toBe(true);
    expect(existsSync(path.join(harness.store, 'live', 'v3.json'))).toBe(false);
    expect(await desired()).toMatchObject({ version: 'v3', previous: 'v2', lastGood: 'v2' });

    const first = await cli('rollback', '--json');
    expect(JSON.parse(first.stdout)).toMatchObject({ ok: true, version: 'v2', previous: 'v3', reason: expect.stringMatching(/^the newest version that went live before v3/) });
    await waitUntil(() => readInstanceReport(harness.store, 'i-1')?.desired === 'v2', 30_000, 'i-1 to see desired v2 (it still runs v2)');
    await harness.agent.settled();
    expect(readInstanceReport(harness.store, 'i-1')).toMatchObject({ running: 'v2', state: 'idle' });

    // The second rollback in a row: not back to v3 (desired.json's previous), which never went live.
    const second = await cli('rollback');
    expect(second.code).toBe(0);
    expect(lines(second.stdout)[0]).toMatch(/^rolling back to v1: the newest version that went live before v2 \(first live on i-1 at [^)]+\); not v3, which never went live$/);
    expect(await desired()).toMatchObject({ version: 'v1', previous: 'v2' });
    await live(harness, 'v1');

    const refused = await cli('rollback', 'v3', '--json');
    expect(refused.code).toBe(1);
    expect(JSON.parse(refused.stdout)).toMatchObject({ ok: false, code: 'NEVER_LIVE' });
    expect(lines(refused.stderr)).toEqual([expect.stringMatching(/^deployctl: v3 never went live on the fleet \(no live\/v3\.json in .*\); to roll back to it anyway, add --force$/)]);
    const forced = await cli('rollback', 'v3', '--force');
    expect(forced.code).toBe(0);
    expect(lines(forced.stdout)[0]).toBe('rolling back to v3: named with --force; it never went live on the fleet');

    const history = JSON.parse((await cli('history', '--json')).stdout) as { history: { kind: string; version: string; from: string | null }[] };
    expect(history.history.map((e) => `${e.kind} ${e.version}${e.from ? ` from ${e.from}` : ''}`)).toEqual([
      'rollback v3 from v1',
      'rollback v1 from v2',
      'rollback v2 from v3',
      'push v3 from v2',
      'push v2 from v1',
      'push v1',
    ]);
  });
});
