import path from 'node:path';
import type { ManagedWorker } from '../managed-worker';
import type { StickyBy } from './routing-key';
import { StickyRouter } from './sticky-router';
import { ClusterWorkerChannel, type WorkerChannel } from './worker-channel';

/** What the supervisor needs in sticky mode: the router, the worker preload and the workers' extra env. */
export interface StickyScheduling {
  readonly router: StickyRouter;
  /** `--require`d before the drain preload. */
  readonly preloads: readonly string[];
  /** Merged over the workers' base environment. */
  readonly env: Readonly<Record<string, string>>;
}

export const STICKY_PRELOAD_PATH = path.join(__dirname, 'sticky-preload.js');

/** Builds the sticky router for `port` over the supervisor's workers (asked lazily: the supervisor comes second). */
export function stickyScheduling(
  app: { readonly port: number; readonly sticky: { readonly by: StickyBy } },
  workers: () => readonly ManagedWorker[],
  channel: WorkerChannel = new ClusterWorkerChannel(),
): StickyScheduling {
  const router = new StickyRouter({
    port: app.port,
    by: app.sticky.by,
    channel,
    workers: () => workers().map((w) => ({ id: w.process.id, version: w.release.version, startedAt: w.startedAt, serving: w.isServing() })),
  });
  return {
    router,
    preloads: [STICKY_PRELOAD_PATH],
    env: { DEPLOYCTL_STICKY_DIR: router.dir, DEPLOYCTL_STICKY_BY: app.sticky.by },
  };
}
