import type { SupervisorEvent } from '../cluster/roll-types';
import type { RuntimeConfig } from '../config/runtime-config';
import type { AgentState } from '../deploy/agent-state';
import type { Logger } from '../log/logger';
import { MetricsFeed } from '../metrics/metrics-feed';
import { AgentMetrics, type MetricsSources } from '../metrics/metrics-registry';
import { MetricsServer } from '../metrics/metrics-server';
import { ControlServer, type ControlHandlers } from './control-server';

export interface OperatorEndpointsDeps {
  readonly control: RuntimeConfig['control'];
  readonly log: Logger;
  readonly handlers: ControlHandlers;
  readonly workers: MetricsSources['workers'];
}

/**
 * What a person or a scraper on the instance talks to: the control socket
 * (always) and the Prometheus metrics on 127.0.0.1:metricsPort (when set).
 * The agent opens them first thing on start, so a second agent on the same
 * socket is refused before it touches any release or state file.
 */
export class OperatorEndpoints {
  private readonly controlServer: ControlServer;
  private readonly metricsServer: MetricsServer | undefined;
  private readonly feed: MetricsFeed | undefined;

  constructor(private readonly deps: OperatorEndpointsDeps) {
    this.controlServer = new ControlServer(deps.control.socket, deps.handlers, deps.log);
    const port = deps.control.metricsPort;
    if (port !== undefined) {
      const metrics = new AgentMetrics({ workers: deps.workers });
      this.feed = new MetricsFeed(metrics);
      this.metricsServer = new MetricsServer(metrics.registry, port);
    }
  }

  async start(): Promise<void> {
    await this.controlServer.start();
    try {
      await this.metricsServer?.start();
    } catch (error) {
      await this.controlServer.stop();
      throw error;
    }
    const port = this.metricsServer?.boundPort;
    if (port !== undefined) this.deps.log.info({ metricsPort: port }, `metrics on http://127.0.0.1:${port}/metrics`);
  }

  /** The state the agent starts from (its last deploy is an earlier run's: not counted). */
  resumeFrom(state: AgentState): void {
    this.feed?.resumeFrom(state);
  }

  onDeployState(state: AgentState): void {
    this.feed?.onDeployState(state);
  }

  onSupervisorEvent(event: SupervisorEvent): void {
    this.feed?.onSupervisorEvent(event);
  }

  async stop(): Promise<void> {
    await Promise.all([this.controlServer.stop(), this.metricsServer?.stop()]);
  }
}
