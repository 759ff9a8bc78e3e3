import type { Release } from './managed-worker';
import type { ResolvedSupervisorOptions } from './supervisor-options';
import { CONTROL_FD } from './worker-host';

/**
 * A worker's complete environment: the agent's own (less the cluster's
 * NODE_UNIQUE_ID), the configured env, PORT and APP_VERSION, and the
 * settings the drain preload and the websocket-drain helper read.
 */
export function workerEnv(
  options: ResolvedSupervisorOptions,
  release: Release,
  baseEnv: Readonly<Record<string, string | undefined>>,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(baseEnv)) {
    if (value !== undefined && key !== 'NODE_UNIQUE_ID') env[key] = value;
  }
  return {
    ...env,
    ...options.env,
    PORT: String(options.port),
    APP_VERSION: release.version,
    DEPLOYCTL_IDLE_GRACE_MS: String(options.idleGraceMs),
    DEPLOYCTL_WS_CLOSE_WINDOW_MS: String(options.wsCloseWindowMs),
    DEPLOYCTL_HOLD_WEBSOCKETS: options.drainPreload ? '1' : '0',
    DEPLOYCTL_CONTROL_FD: String(CONTROL_FD),
  };
}
