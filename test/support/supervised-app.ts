import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ClusterHost } from '../../agent/cluster/cluster-host';
import type { Release } from '../../agent/cluster/managed-worker';
import type { SupervisorEvent } from '../../agent/cluster/roll-types';
import { Supervisor, type SupervisorDeps } from '../../agent/cluster/supervisor';
import type { SupervisorOptions } from '../../agent/cluster/supervisor-options';
import { makeFixtureRelease, type FixtureReleaseOptions } from './fixture-releases';
import { freePort } from './free-port';
import { withTimeout } from './with-timeout';

/** A real Supervisor on a free loopback port, fixture releases in a temp dir, and its cleanup. */
export interface SupervisedApp {
  readonly supervisor: Supervisor;
  readonly port: number;
  readonly root: string;
  readonly events: SupervisorEvent[];
  /** Everything the workers wrote to stderr. */
  readonly stderr: string[];
  release(version: string, options?: FixtureReleaseOptions): Release;
  close(): Promise<void>;
}

export async function startSupervisedApp(
  options: Omit<SupervisorOptions, 'port'>,
  first: FixtureReleaseOptions & { version?: string } = {},
  /** Side effects to put in place of the real ones (e.g. a port probe that fails on cue). */
  deps: Pick<SupervisorDeps, 'probe'> = {},
): Promise<SupervisedApp> {
  const root = mkdtempSync(path.join(tmpdir(), 'deployctl-test-'));
  const port = await freePort();
  const events: SupervisorEvent[] = [];
  const stderr: string[] = [];
  const supervisor = new Supervisor(
    { ...options, port },
    {
      host: new ClusterHost(options.schedulingPolicy ?? 'rr'),
      output: { stdout: () => undefined, stderr: (chunk) => stderr.push(chunk.toString()) },
      onEvent: (event) => events.push(event),
      ...deps,
    },
  );
  const app: SupervisedApp = {
    supervisor,
    port,
    root,
    events,
    stderr,
    release: (version, releaseOptions) => makeFixtureRelease(root, version, releaseOptions),
    close: async () => {
      await withTimeout(supervisor.stop(), 30_000, 'the supervisor to stop');
      rmSync(root, { recursive: true, force: true });
    },
  };
  await withTimeout(supervisor.start(app.release(first.version ?? 'v1', first)), 20_000, 'v1 workers to be ready');
  return app;
}
