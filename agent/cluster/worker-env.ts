import type { Release } from './managed-worker';
import type { ResolvedSupervisorOptions } from './supervisor-options';
import { CONTROL_FD } from './worker-host';

/**
 * A worker's complete environment: the agent's own (less the cluster's
 * NODE_UNIQUE_ID), the configured env (app.env), the release's own env
 * (manifest `env` and resolved secrets: they win over app.env), PORT and
 * APP_VERSION, and the settings the drain preload and the websocket-drain
 * helper read. Hooks get the same (agent/hooks/hook-env.ts).
 */
export function workerEnv(
  options: Pick<ResolvedSupervisorOptions, 'env' | 'port' | 'idleGraceMs' | 'wsCloseWindowMs' | 'drainPreload'>,
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
    ...release.env,
    PORT: String(options.port),
    APP_VERSION: release.version,
    DEPLOYCTL_IDLE_GRACE_MS: String(options.idleGraceMs),
    DEPLOYCTL_WS_CLOSE_WINDOW_MS: String(options.wsCloseWindowMs),
    DEPLOYCTL_HOLD_WEBSOCKETS: options.drainPreload ? '1' : '0',
    DEPLOYCTL_CONTROL_FD: String(CONTROL_FD),
  };
}
