import { RegisterTargetsCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { readInstanceReport, reportsLive } from '../../support/agent-harness';
import { startHttpTarget } from '../../support/elbv2/http-target';
import { waitForTargetState } from '../../support/elbv2/wait-for-target';
import { startLoad } from '../../support/load/load-client';
import { startServiceOutFleet } from '../../support/service-out-fleet';
import { waitUntil } from '../../support/with-timeout';

/** The ALB settings of the bench (issue 5, deliverable 4). */
export const DEREGISTRATION_DELAY_S = 30;
export const HEALTH_CHECK_INTERVAL_MS = 2_000;
export const HEALTHY_THRESHOLD = 2;

export type DrainMode = 'early' | 'full-delay';

export interface DrainRun {
  readonly mode: DrainMode;
  /** The agent's own measure of the deploy: desired.json read → healthy again in the target group (lastDeploy.durationMs). */
  readonly deployMs: number;
  /** Deregistered → drained, from the agent's log. */
  readonly drainMs: number;
  /** How the drain ended (`no-connections`, `target-gone`, `timeout`). */
  readonly drainEnd: string;
  readonly requests: number;
  readonly failedRequests: number;
  readonly failures: readonly string[];
}

const say = (line: string): void => void process.stderr.write(`${line}\n`);

/**
 * One service-out deploy of one instance (a real deploy-agent) behind the
 * ELBv2 emulator, with a neighbour target that serves while it is out, under
 * HTTP load through the listener.
 */
export async function runDrain(mode: DrainMode): Promise<DrainRun> {
  const fleet = await startServiceOutFleet({
    instances: 1,
    targetGroup: {
      intervalMs: HEALTH_CHECK_INTERVAL_MS,
      timeoutMs: 1_000,
      healthyThreshold: HEALTHY_THRESHOLD,
      deregistrationDelayS: DEREGISTRATION_DELAY_S,
    },
    // The agent's defaults but for the mode: poll 2 s, quiet 1 s.
    loadBalancer: { earlyDrain: mode === 'early', pollIntervalMs: 2_000, drainQuietMs: 1_000, healthyTimeoutMs: 120_000, slotLeaseMs: 120_000 },
    app: { stableMs: 1_000, idleGraceMs: 1_000 },
  });
  const neighbour = await startHttpTarget({ name: 'neighbour' });
  try {
    await fleet.client.send(new RegisterTargetsCommand({ TargetGroupArn: fleet.arn, Targets: [{ Id: 'i-neighbour', Port: neighbour.port }] }));
    await waitForTargetState(fleet.client, fleet.arn, 'i-neighbour', 'healthy', 30_000);
    const instance = fleet.instances[0];
    if (!instance) throw new Error('the fleet has no instance');
    const load = startLoad({ port: fleet.emulator.listenerPort, keepAliveConcurrency: 4, freshConcurrency: 2, pauseMs: 10 });
    try {
      await load.waitFor((r) => (r.versions.v1 ?? 0) > 20, 30_000, 'load on v1 through the listener');
      load.resetCounters();
      say(`  ${mode}: push v2 --strategy service-out`);
      const push = await fleet.push('v2', { strategy: 'service-out' });
      if (push.code !== 0) throw new Error(`push v2 failed: ${push.stderr}`);
      await waitUntil(() => reportsLive(readInstanceReport(fleet.store, instance.id), 'v2'), 180_000, `${instance.id} to report v2 live`, 100);
      await waitForTargetState(fleet.client, fleet.arn, instance.id, 'healthy', 30_000);
      const report = await load.stop();
      const deployMs = readInstanceReport(fleet.store, instance.id)?.lastDeploy?.durationMs ?? NaN;
      const drained = instance.agent.logs.find((l) => typeof l.drain === 'string');
      return {
        mode,
        deployMs,
        drainMs: typeof drained?.drainMs === 'number' ? drained.drainMs : NaN,
        drainEnd: String(drained?.drain ?? 'unknown'),
        requests: report.requests,
        failedRequests: report.failedRequests,
        failures: report.failures,
      };
    } finally {
      await load.stop();
    }
  } finally {
    await neighbour.close();
    await fleet.stop();
  }
}
