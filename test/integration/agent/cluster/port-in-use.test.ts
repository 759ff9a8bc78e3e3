import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ClusterHost } from '../../../../agent/cluster/cluster-host';
import type { SupervisorEvent } from '../../../../agent/cluster/roll-types';
import { Supervisor } from '../../../../agent/cluster/supervisor';
import { startAgentHarness, type AgentHarness } from '../../../support/agent-harness';
import { liveClusterPids, noClusterWorkersLeft } from '../../../support/cluster-workers';
import { makeFixtureRelease } from '../../../support/fixture-releases';
import { freePort } from '../../../support/free-port';
import { delay, waitUntil, withTimeout } from '../../../support/with-timeout';

/** Another program: a plain node process that listens on 127.0.0.1:<port> until killed. */
async function holdPort(port: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['-e', `require('net').createServer().listen(${port}, '127.0.0.1', () => console.log('holding'))`], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await withTimeout(
    new Promise<void>((resolve, reject) => {
      child.stdout?.on('data', (chunk: Buffer) => chunk.toString().includes('holding') && resolve());
      child.once('exit', (code) => reject(new Error(`the port holder exited with ${code}`)));
    }),
    10_000,
    `the other program to listen on ${port}`,
  );
  return child;
}

describe('app.port taken by another program', () => {
  let root: string;
  let holder: ChildProcess | undefined;
  let supervisor: Supervisor | undefined;
  afterEach(async () => {
    await supervisor?.stop();
    supervisor = undefined;
    holder?.kill('SIGKILL');
    holder = undefined;
    rmSync(root, { recursive: true, force: true });
  });

  it('fails the start once with PORT_IN_USE naming the port and the program holding it, in one line, with no restart loop', async () => {
    root = mkdtempSync(path.join(tmpdir(), 'deployctl-port-in-use-'));
    const port = await freePort();
    holder = await holdPort(port);
    const events: SupervisorEvent[] = [];
    supervisor = new Supervisor(
      { port, workers: 2, restartBackoffInitialMs: 100 },
      { host: new ClusterHost('rr'), output: { stdout: () => undefined, stderr: () => undefined }, onEvent: (e) => events.push(e) },
    );

    const error = await withTimeout(supervisor.start(makeFixtureRelease(root, 'v1')), 30_000, 'the start to fail').then(
      () => undefined,
      (e: unknown) => e as Error & { code?: string },
    );

    expect(error?.code).toBe('PORT_IN_USE');
    expect(error?.message).toContain(`port ${port} is in use by another program, pid ${holder.pid}`);
    expect(error?.message).toContain('app.port');
    expect(error?.message).toMatch(/\(stderr: .*EADDRINUSE/);
    expect(error?.message).not.toContain('\n');
    expect(supervisor.running).toBe(false);
    await noClusterWorkersLeft(15_000, 'after the failed start');
    // No crash/restart cycles: nothing is forked again after the failure.
    await delay(1000);
    expect(liveClusterPids()).toEqual([]);
    expect(events.filter((e) => e.type === 'worker-crashed' || e.type === 'crash-loop')).toEqual([]);
  });
});

describe('deploy-agent whose app.port another program holds', () => {
  let h: AgentHarness | undefined;
  let holder: ChildProcess | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
    holder?.kill('SIGKILL');
    holder = undefined;
  });

  it('records the deploy as failed with PORT_IN_USE naming the port, logs no crash/restart cycle, and does not retry it', async () => {
    h = await startAgentHarness();
    holder = await holdPort(h.port);
    await h.push('v1');
    await h.agent.start();
    const stateOf = (a: AgentHarness) => JSON.parse(readFileSync(path.join(a.releasesDir, 'state.json'), 'utf8')) as { lastDeploy?: { errorCode?: string; error?: string; result?: string } | null };
    await waitUntil(() => stateOf(h as AgentHarness).lastDeploy?.errorCode === 'PORT_IN_USE', 30_000, 'the deploy of v1 to fail with PORT_IN_USE');

    const lastDeploy = stateOf(h).lastDeploy;
    expect(lastDeploy).toMatchObject({ result: 'failed', errorCode: 'PORT_IN_USE' });
    expect(lastDeploy?.error).toContain(`port ${h.port} is in use by another program, pid ${holder.pid}`);
    expect(h.agent.status.version).toBeUndefined();
    // Polls go on (every 200 ms) without trying v1 again or restarting a worker.
    await delay(1500);
    expect(h.logs.filter((l) => l.event === 'worker-crashed' || l.event === 'crash-loop')).toEqual([]);
    expect(h.logs.filter((l) => l.code === 'PORT_IN_USE')).toHaveLength(1);
    expect(liveClusterPids()).toEqual([]);
  });
});
