import type { RuntimeConfig } from '../config/runtime-config';

/** Slack for the last status report and the exit itself, beyond the timeouts the stop waits for. */
const STOP_MARGIN_MS = 10_000;

/**
 * How long a graceful stop (SIGTERM) may take before the agent forces its own
 * exit: behind a load balancer the stop deregisters and drains first (bounded by
 * app.shutdownTimeoutMs), then the workers get app.shutdownTimeoutMs to finish and
 * wsCloseWindowMs to close WebSockets. The systemd unit's TimeoutStopSec must exceed it.
 */
export function stopBudgetMs(app: Pick<RuntimeConfig['app'], 'shutdownTimeoutMs' | 'wsCloseWindowMs'>, behindLoadBalancer: boolean): number {
  const drainMs = behindLoadBalancer ? app.shutdownTimeoutMs : 0;
  return drainMs + app.shutdownTimeoutMs + app.wsCloseWindowMs + STOP_MARGIN_MS;
}
