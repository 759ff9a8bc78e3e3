import type { Release } from '../cluster/managed-worker';
import type { ResolvedSupervisorOptions } from '../cluster/supervisor-options';
import { workerEnv } from '../cluster/worker-env';
import type { HookName } from './hook-names';

export interface HookEnvSources {
  readonly app: Pick<ResolvedSupervisorOptions, 'env' | 'port' | 'idleGraceMs' | 'wsCloseWindowMs' | 'drainPreload'>;
  /** With the release's own `env` (manifest env and resolved secrets) on it. */
  readonly release: Release;
  readonly previous: string | null;
  readonly instanceId: string;
  readonly baseEnv?: Readonly<Record<string, string | undefined>>;
}

/**
 * A hook's environment: exactly what the release's workers get (the agent's
 * own, app.env, the release's env, PORT, APP_VERSION …, worker-env.ts) plus
 * DEPLOYCTL_HOOK, DEPLOYCTL_VERSION, DEPLOYCTL_PREVIOUS (empty on a first
 * deploy) and DEPLOYCTL_INSTANCE_ID. The worker-only control channel is left out.
 */
export function hookEnv(hook: HookName, sources: HookEnvSources): Record<string, string> {
  const env = workerEnv(sources.app, sources.release, sources.baseEnv ?? process.env);
  delete env.DEPLOYCTL_CONTROL_FD;
  return {
    ...env,
    DEPLOYCTL_HOOK: hook,
    DEPLOYCTL_VERSION: sources.release.version,
    DEPLOYCTL_PREVIOUS: sources.previous ?? '',
    DEPLOYCTL_INSTANCE_ID: sources.instanceId,
  };
}
