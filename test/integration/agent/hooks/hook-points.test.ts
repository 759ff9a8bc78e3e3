import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { runCli } from '../../../support/cli-harness';
import { startFaultRig, type FaultRig } from '../../../support/fault-rig';
import { startS3Server, type S3Server } from '../../../support/s3-server';
import type { SpawnedAgent } from '../../../support/spawned-agent';
import { servedVersion } from '../../../support/spawned-agent';
import { waitUntil } from '../../../support/with-timeout';

/** One real agent (compiled) on an S3 store: where a deploy runs prepare and afterLive, and what it does with their outcome. */
describe('release hook points of one agent', () => {
  let s3: S3Server;
  let rig: FaultRig;
  let agent: SpawnedAgent;
  let counter: string;
  const hooks = (h: Record<string, string>) => ({ 'deployctl.json': JSON.stringify({ hooks: h }) });
  const count = (word: string) => (existsSync(counter) ? readFileSync(counter, 'utf8').split('\n').filter((l) => l === word).length : 0);

  beforeAll(async () => {
    s3 = await startS3Server();
    rig = await startFaultRig(s3);
    counter = path.join(rig.work, 'prepared.log');
    await rig.push('v1', hooks({ prepare: `echo "prepare-$DEPLOYCTL_VERSION" >> "${counter}"` }));
    agent = rig.spawn();
    await rig.converged('v1', 60_000);
  }, 120_000);

  afterAll(async () => {
    await rig?.close();
    await s3?.stop();
  }, 60_000);

  it('does not run prepare again when the instance rolls back to a release it prepared', async () => {
    await rig.push('v2', hooks({ prepare: `echo "prepare-$DEPLOYCTL_VERSION" >> "${counter}"` }));
    await rig.converged('v2', 60_000);

    const back = await runCli(['rollback', 'v1', '--store', rig.storeUrl], { cwd: rig.work, env: rig.cliEnv });
    expect(back.code).toBe(0);
    await rig.converged('v1', 60_000);

    expect(count('prepare-v1')).toBe(1);
    expect(count('prepare-v2')).toBe(1);
    expect(agent.logs.some((l) => l.hook === 'prepare' && l.version === 'v1' && /prepared before/.test(String(l.msg)))).toBe(true);
  });

  it('reports a failed afterLive hook with the deploy, and keeps the release live', async () => {
    await rig.push('v3', hooks({ afterLive: 'echo "cache warm-up failed" >&2; exit 5' }));

    await rig.converged('v3', 60_000);
    await waitUntil(async () => (await rig.report())?.lastDeploy?.warning !== undefined, 30_000, 'the report to carry the afterLive failure');

    const report = await rig.report();
    expect(report).toMatchObject({ running: 'v3', lastDeploy: { version: 'v3', result: 'succeeded' } });
    expect(report?.lastDeploy?.warning).toMatch(/afterLive hook .* exited with code 5; last output: cache warm-up failed/);
    expect(await servedVersion(rig.port)).toBe('v3');
    const status = await runCli(['status', '--store', rig.storeUrl], { cwd: rig.work, env: rig.cliEnv });
    expect(status.stdout).toMatch(/v3 succeeded \(afterLive failed: /);
  });

  it('refuses a release whose deployctl.json names an unknown hook, before any worker changes', async () => {
    await rig.push('v4', hooks({ prepare: 'true', afterlive: 'true' }));

    await waitUntil(async () => (await rig.report())?.lastDeploy?.version === 'v4', 60_000, 'the deploy of v4 to end');

    const report = await rig.report();
    expect(report).toMatchObject({ running: 'v3', lastDeploy: { result: 'failed', errorCode: 'HOOKS_INVALID' } });
    expect(report?.lastDeploy?.error).toMatch(/deployctl\.json of the release is invalid at hooks: .*afterlive/);
  });
});
