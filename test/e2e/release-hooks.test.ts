import { existsSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { reportsLive } from '../support/agent-harness';
import { runCli } from '../support/cli-harness';
import { startHooksFleet, type HooksFleet } from '../support/hooks-fleet';
import { startS3Server, type S3Server } from '../support/s3-server';
import { servedVersion } from '../support/spawned-agent';
import { waitUntil } from '../support/with-timeout';

const ONCE_LEASE_MS = 3000;

/** A pid that runs (not a zombie). */
function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2)[0];
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

/**
 * Three deploy-agent processes on one S3 store, each release declaring its
 * hooks in deployctl.json. The hooks append to one shared events file
 * (HOOK_EVENTS, set through app.env), so the test counts them fleet-wide.
 */
describe('release hooks on a fleet of 3 agents (S3 store)', () => {
  let s3: S3Server;
  let fleet: HooksFleet;
  let events: string;
  const validateCmd = `"${process.execPath}" -e "require('http').get({host:'127.0.0.1',port:process.env.PORT,agent:false},r=>process.exit(r.headers['x-app-version']===process.env.DEPLOYCTL_VERSION?0:9)).on('error',()=>process.exit(8))"`;
  const record = (hook: string) => `echo "${hook} $DEPLOYCTL_INSTANCE_ID $DEPLOYCTL_VERSION $DEPLOYCTL_PREVIOUS" >> "$HOOK_EVENTS"`;
  const hooksFile = (hooks: Record<string, string>, hookTimeoutMs?: number) => ({
    'deployctl.json': JSON.stringify({ hooks, ...(hookTimeoutMs === undefined ? {} : { hookTimeoutMs }) }),
  });
  const lines = (): string[] => (existsSync(events) ? readFileSync(events, 'utf8').trim().split('\n').filter(Boolean) : []);
  const linesOf = (hook: string, version: string) => lines().filter((l) => l.startsWith(`${hook} `) && l.split(' ')[2] === version);
  const ids = () => fleet.instances.map((i) => i.id);
  const settledOn = async (version: string, pick: (r: Awaited<ReturnType<HooksFleet['reports']>>[number]) => boolean, label: string) =>
    waitUntil(async () => {
      const reports = await fleet.reports();
      return ids().every((id) => {
        const r = reports.find((x) => x.instanceId === id);
        return r !== undefined && r.lastDeploy?.version === version && r.state === 'idle' && pick(r);
      });
    }, 90_000, label, 250).catch((error: unknown) => {
      throw new Error(`${String(error)}\n${fleet.logTail()}`);
    });

  beforeAll(async () => {
    s3 = await startS3Server();
    events = path.join(tmpdir(), `deployctl-hook-events-${process.pid}.log`);
    fleet = await startHooksFleet(s3, { instances: 3, app: { env: { HOOK_EVENTS: events } }, config: { hooks: { onceLeaseMs: ONCE_LEASE_MS } } });
    const v1 = await fleet.push('v1');
    expect(v1.code).toBe(0);
    await settledOn('v1', (r) => reportsLive(r, 'v1'), 'every instance to run v1');
  }, 180_000);

  afterAll(async () => {
    await fleet?.stop();
    await s3?.stop();
    rmSync(events, { force: true });
  }, 60_000);

  it('runs prepare on each instance before its first worker, once exactly once fleet-wide, then validate and afterLive everywhere', async () => {
    const push = await fleet.push('v2', {
      requireFile: 'prepared.txt',
      files: hooksFile({
        prepare: `${record('prepare')} && touch prepared.txt`,
        once: `${record('once')} && sleep 1`,
        validate: `${record('validate')} && ${validateCmd}`,
        afterLive: record('afterLive'),
      }),
    });
    expect(push.code).toBe(0);

    await settledOn('v2', (r) => reportsLive(r, 'v2'), 'every instance to run v2');
    await waitUntil(() => linesOf('afterLive', 'v2').length === 3, 30_000, 'afterLive on every instance');

    expect(linesOf('once', 'v2')).toHaveLength(1);
    for (const hook of ['prepare', 'validate', 'afterLive']) expect(linesOf(hook, 'v2').map((l) => l.split(' ')[1]).sort()).toEqual(ids());
    expect(linesOf('prepare', 'v2').every((l) => l.endsWith(' v2 v1'))).toBe(true);
    // once ran before any instance rolled (validate comes after the roll).
    const all = lines();
    const firstValidate = all.findIndex((l) => l.startsWith('validate ') && l.includes(' v2 '));
    expect(all.indexOf(linesOf('once', 'v2')[0] ?? '')).toBeLessThan(firstValidate);
    for (const instance of fleet.instances) {
      expect(await servedVersion(instance.port)).toBe('v2');
      const prepareLines = instance.agent.logs.filter((l) => l.hook === 'prepare' && l.version === 'v2');
      expect(prepareLines.length).toBeGreaterThan(0);
      for (const line of prepareLines) expect(line.step).toBe('preparing');
      // The hook finished before any worker of v2 was started.
      const prepared = instance.agent.logs.findIndex((l) => l.msg === 'prepare hook succeeded' && l.version === 'v2');
      const rolled = instance.agent.logs.findIndex((l) => l.step === 'rolling' && l.version === 'v2');
      expect(prepared).toBeGreaterThanOrEqual(0);
      expect(prepared).toBeLessThan(rolled);
    }
  });

  it('fails the version on every instance without touching a worker when the once hook fails', async () => {
    const push = await fleet.push('v3', { files: hooksFile({ once: `${record('once')}; echo "migration 42 broke" >&2; exit 4` }) });
    expect(push.code).toBe(0);

    await settledOn('v3', (r) => r.lastDeploy?.result === 'failed', 'every instance to fail v3');

    expect(linesOf('once', 'v3')).toHaveLength(1);
    for (const report of await fleet.reports()) {
      expect(report).toMatchObject({ running: 'v2', lastDeploy: { version: 'v3', result: 'failed', errorCode: 'HOOK_FAILED' } });
      expect(report.lastDeploy?.error).toMatch(/once hook of v3 failed .*exited with code 4.*migration 42 broke/);
    }
    for (const instance of fleet.instances) {
      expect(instance.agent.logs.some((l) => l.version === 'v3' && l.step === 'rolling')).toBe(false);
      expect(await servedVersion(instance.port)).toBe('v2');
    }
  });

  it('rolls back every instance whose validate hook fails', async () => {
    const push = await fleet.push('v4', { files: hooksFile({ validate: `${record('validate')}; exit 1` }) });
    expect(push.code).toBe(0);

    await settledOn('v4', (r) => r.lastDeploy?.result === 'rolled-back', 'every instance to roll v4 back');

    expect(linesOf('validate', 'v4')).toHaveLength(3);
    for (const report of await fleet.reports()) expect(report).toMatchObject({ running: 'v2', lastDeploy: { errorCode: 'HOOK_FAILED', error: expect.stringMatching(/validate hook .* exited with code 1/) } });
    for (const instance of fleet.instances) expect(await servedVersion(instance.port)).toBe('v2');
  });

  it('kills a hanging hook and the grandchild it forked at hookTimeoutMs, shows it running meanwhile, and leaves no process', async () => {
    const pidDir = fleet.work;
    const push = await fleet.push('v5', {
      files: hooksFile({ prepare: `sleep 1000 & echo $! > "${pidDir}/grandchild-$DEPLOYCTL_INSTANCE_ID.pid"; sleep 1000` }, 4000),
    });
    expect(push.code).toBe(0);

    await waitUntil(async () => (await fleet.reports()).some((r) => r.hook?.name === 'prepare' && r.hook.version === 'v5'), 30_000, 'a report showing the prepare hook running', 100);
    const status = await runCli(['status', '--store', fleet.storeUrl], { cwd: fleet.work, env: fleet.cliEnv });
    expect(status.stdout).toMatch(/preparing \(hook prepare\)/);
    await settledOn('v5', (r) => r.lastDeploy?.result === 'failed', 'every instance to fail v5');

    for (const report of await fleet.reports()) {
      expect(report).toMatchObject({ running: 'v2', lastDeploy: { errorCode: 'HOOK_TIMEOUT' } });
      expect(report.hook).toBeUndefined();
    }
    for (const id of ids()) {
      const pid = Number(readFileSync(path.join(pidDir, `grandchild-${id}.pid`), 'utf8'));
      await waitUntil(() => !running(pid), 10_000, `the grandchild ${pid} of ${id}'s hook to be gone`);
    }
  });

  it('takes the once hook over from an agent SIGKILLed while running it, after its lease', async () => {
    const runs = path.join(fleet.work, 'once-runs');
    const hungPid = path.join(fleet.work, 'once-hung.pid');
    const once = `first=$([ -e "${runs}" ] && echo no || echo yes); echo "$DEPLOYCTL_INSTANCE_ID" >> "${runs}"; if [ $first = yes ]; then echo $$ > "${hungPid}"; sleep 1000; fi`;
    const push = await fleet.push('v6', { files: hooksFile({ once }) });
    expect(push.code).toBe(0);
    await waitUntil(() => existsSync(hungPid) && readFileSync(hungPid, 'utf8').trim() !== '', 60_000, 'the first once runner to start');
    const runner = readFileSync(runs, 'utf8').trim();
    const hung = Number(readFileSync(hungPid, 'utf8'));
    // The agent records the hook's process group right after it spawned it; a SIGKILL before that
    // leaves nothing to find (the hook may write its own pid file first on a loaded machine).
    const runnerDir = fleet.instances.find((i) => i.id === runner)?.releasesDir ?? '';
    await waitUntil(() => existsSync(path.join(runnerDir, 'hook.pid')), 10_000, `${runner}'s agent to record its once hook in hook.pid`);

    await fleet.kill(runner);
    const others = ids().filter((id) => id !== runner);
    await waitUntil(async () => {
      const reports = await fleet.reports();
      return others.every((id) => reportsLive(reports.find((r) => r.instanceId === id), 'v6'));
    }, 90_000, 'the other instances to take over once and run v6', 250);
    const takers = readFileSync(runs, 'utf8').trim().split('\n');
    expect(takers).toHaveLength(2);
    expect(takers[0]).toBe(runner);
    expect(others).toContain(takers[1]);

    // The killed agent's hook outlived it (its own process group) until the agent came back.
    fleet.restart(runner);
    await waitUntil(() => !running(hung), 30_000, 'the restarted agent to kill the hook its last run left');
    await settledOn('v6', (r) => reportsLive(r, 'v6'), 'every instance to run v6');
    expect(readFileSync(runs, 'utf8').trim().split('\n')).toHaveLength(2);
  });
});
