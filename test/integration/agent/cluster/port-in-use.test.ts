import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ClusterHost } from '../../../../agent/cluster/cluster-host';
import type { SupervisorEvent } from '../../../../agent/cluster/roll-types';
import { Supervisor } from '../../../../agent/cluster/supervisor';
import { liveClusterPids, noClusterWorkersLeft } from '../../../support/cluster-workers';
import { makeFixtureRelease } from '../../../support/fixture-releases';
import { freePort } from '../../../support/free-port';
import { delay, withTimeout } from '../../../support/with-timeout';

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
