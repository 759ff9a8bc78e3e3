import { existsSync } from 'node:fs';
import path from 'node:path';
import { HookPidFile } from './hooks/hook-pid-file';
import { defaultEnvironments } from './secrets/default-environments';
import type { ReleaseEnvironments } from './secrets/release-environments';
import { ClusterHost } from './cluster/cluster-host';
import { stickyScheduling, type StickyScheduling } from './cluster/sticky/sticky-scheduling';
import type { StickyStats } from './cluster/sticky/sticky-router';
import { Supervisor } from './cluster/supervisor';
import type { WorkerHost } from './cluster/worker-host';
import { loadConfig } from './config/load';
import type { RuntimeConfig } from './config/runtime-config';
import type { RollbackResult } from './control/control-protocol';
import { controlStatus, type ControlStatus } from './control/control-status';
import { OperatorEndpoints } from './control/operator-endpoints';
import { readAgentState, writeAgentState, type AgentState } from './deploy/agent-state';
import { Deployer } from './deploy/deployer';
import { DesiredWatcher } from './deploy/desired-watcher';
import { rollBackLocally } from './deploy/local-rollback';
import { ReleaseDirs } from './deploy/release-dirs';
import { RolloutGate } from './rollout/rollout-gate';
import { DeployError, describeError } from './errors';
import type { Logger } from './log/logger';
import { logWorkerEvent } from './log/worker-event-log';
import { packageVersion } from './package-version';
import { instanceReport, type InstanceReport } from './status/instance-report';
import { resolveInstanceId } from './status/instance-id';
import { StatusReporter } from './status/status-reporter';
import { LocalStore } from './store/local-store';
import { openStore } from './store/open-store';
import type { ReleaseStore } from './store/release-store';
import { LoadBalancerMembership } from './traffic/load-balancer-membership';

export interface AgentDeps {
  readonly log: Logger;
  /** @default node:cluster */
  readonly host?: WorkerHost;
  /** @default openStore(config.store) */
  readonly store?: ReleaseStore;
  /** @default new ReleaseDirs(config.releasesDir) */
  readonly dirs?: ReleaseDirs;
}

/**
 * deploy-agent's subsystems and their lifecycle: on start it serves `current`
 * at once (no fetch), then converges to desired.json on every change and poll.
 * start/stop/reload are async; stop is idempotent.
 */
export class Agent {
  private config: RuntimeConfig;
  private readonly store: ReleaseStore;
  private readonly dirs: ReleaseDirs;
  /** Each release's env and secrets (agent/secrets/). */
  private readonly environments: ReleaseEnvironments;
  private readonly supervisor: Supervisor;
  /** Control socket and metrics (agent/control/operator-endpoints.ts). */
  private readonly endpoints: OperatorEndpoints;
  private deployer: Deployer | undefined;
  private snapshot: (() => InstanceReport) | undefined;
  private watcher: DesiredWatcher | undefined;
  private reporter: StatusReporter | undefined;
  private stopped = false;
  private converging: Promise<void> | undefined;
  private again = false;
  private stopping: Promise<void> | undefined;
  /** With a load balancer configured: this instance in its target groups. */
  private membership: LoadBalancerMembership | undefined;
  /** schedulingPolicy 'sticky': the router that owns the app port (agent/cluster/sticky/). */
  private readonly sticky: StickyScheduling | undefined;
  /** Fires on stop: a service-out deploy stops waiting for its slot, drain or health. */
  private readonly stopSignal = new AbortController();
  /** Fleet rollouts: whose turn it is (agent/rollout/). */
  private rolloutGate: RolloutGate | undefined;

  constructor(
    config: RuntimeConfig,
    private readonly deps: AgentDeps,
  ) {
    this.config = config;
    this.store = deps.store ?? openStore(config.store, process.cwd(), config.s3);
    this.dirs = deps.dirs ?? new ReleaseDirs(config.releasesDir);
    this.environments = defaultEnvironments(config.releasesDir, () => this.config.ssm);
    const log = deps.log;
    this.sticky = config.app.schedulingPolicy === 'sticky' ? stickyScheduling(config.app, () => this.supervisor.allWorkers()) : undefined;
    this.supervisor = new Supervisor(config.app, {
      host: deps.host ?? new ClusterHost(config.app.schedulingPolicy),
      ...(this.sticky ? { extraPreloads: this.sticky.preloads, baseEnv: { ...process.env, ...this.sticky.env } } : {}),
      ...(config.app.user !== undefined ? { uid: config.app.user } : {}),
      ...(config.app.group !== undefined ? { gid: config.app.group } : {}),
      onEvent: (event) => {
        logWorkerEvent(log, event, this.deployer?.state.state ?? 'idle');
        this.endpoints.onSupervisorEvent(event);
        this.reporter?.report();
      },
    });
    this.endpoints = new OperatorEndpoints({
      control: config.control,
      log,
      workers: () => this.supervisor.status(),
      handlers: {
        status: () => this.controlStatus(),
        reload: async () => {
          await this.reload();
          return { configPath: this.config.configPath };
        },
        rollback: () => this.rollback(),
      },
    });
  }

  async start(): Promise<void> {
    const { log } = this.deps;
    await this.endpoints.start();
    await this.sticky?.router.start();
    await this.dirs.prepare();
    const leftovers = await this.dirs.removeLeftovers();
    if (leftovers.length > 0) log.warn({ removed: leftovers }, 'removed partial unpacks left by an earlier run');
    const leftoverHook = new HookPidFile(path.join(this.dirs.root, 'hook.pid')).killLeftover();
    if (leftoverHook !== undefined) log.warn({ pgid: leftoverHook }, 'killed the process group of a hook the last run left running');
    const { state, problem } = await readAgentState(this.dirs.stateFile);
    if (problem) log.warn({ file: this.dirs.stateFile }, problem);
    const current = await this.dirs.current();
    const fixed = { ...state, current: current ?? null, state: 'idle', target: null };
    if (state.state !== 'idle') log.warn({ step: state.state, version: state.target }, `the last run stopped during ${state.state}; starting over from current`);
    try {
      await writeAgentState(this.dirs.stateFile, fixed);
    } catch (error) {
      // A full disk must not keep the app down: serving current needs no new file.
      log.error({ file: this.dirs.stateFile, code: 'STATE_WRITE_FAILED', err: describeError(error) }, 'cannot write state.json; serving current anyway');
    }
    this.endpoints.resumeFrom(fixed);
    const instanceId = await resolveInstanceId(this.config);
    const loadBalancer = this.config.loadBalancer;
    const membership = loadBalancer
      ? new LoadBalancerMembership({ loadBalancer, config: () => this.config.loadBalancer, instanceId, supervisor: this.supervisor, slots: this.store.slots, log })
      : undefined;
    this.membership = membership;
    this.rolloutGate = new RolloutGate({ store: this.store, instanceId, log });
    const deployer = new Deployer(
      {
        store: this.store,
        dirs: this.dirs,
        supervisor: this.supervisor,
        config: () => this.config,
        log,
        onChange: (s) => this.stateChanged(s),
        ...(membership ? { serviceOut: { traffic: membership.traffic, slots: membership.slots } } : {}),
        signal: this.stopSignal.signal,
        rollout: this.rolloutGate,
        instanceId,
        environments: this.environments,
      },
      fixed,
    );
    this.deployer = deployer;
    const identity = { instanceId, agentVersion: packageVersion() };
    const snapshot = (): InstanceReport =>
      instanceReport({ ...identity, supervisor: this.supervisor.status(), agent: deployer.state, desired: deployer.desiredVersion, retrying: deployer.retrying, stopped: this.stopped, hook: deployer.hook });
    this.snapshot = snapshot;
    this.reporter = new StatusReporter({ store: this.store, log, heartbeatMs: this.config.heartbeatMs, snapshot });
    if (current) {
      try {
        const { env } = await this.environments.resolve(await this.environments.recall(current));
        await this.supervisor.start({ version: current, dir: this.dirs.dirOf(current), env });
        log.info({ version: current }, `serving ${current} (current)`);
      } catch (error) {
        // Not served: the first convergence pass deploys it (or desired) again once it can.
        log.error({ version: current, code: error instanceof DeployError ? error.code : 'UNEXPECTED', err: describeError(error) }, `cannot start current release ${current}`);
      }
    } else {
      log.info({ store: this.store.url }, 'no release on this instance yet; waiting for desired.json');
    }
    this.reporter.start();
    this.startWatcher();
    this.tick();
  }

  /** Asks for a convergence pass; passes never overlap, and a request during one runs another after it. */
  tick(): void {
    if (this.stopping || !this.deployer) return;
    if (this.converging) {
      this.again = true;
      return;
    }
    const deployer = this.deployer;
    this.converging = (async () => {
      do {
        this.again = false;
        try {
          await deployer.converge();
          if (!this.stopping) await this.membership?.registerOnce(this.stopSignal.signal);
        } catch (error) {
          this.deps.log.error({ err: describeError(error) }, 'unexpected error while converging');
        }
      } while (this.again && !this.stopping);
    })().finally(() => (this.converging = undefined));
  }

  /** Resolves when no convergence pass is running (tests, status). */
  async settled(): Promise<void> {
    while (this.converging) await this.converging;
  }

  get status() {
    return { ...this.supervisor.status(), agent: this.deployer?.state };
  }

  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.stopSignal.abort();
      await this.watcher?.stop();
      await this.membership?.leave(this.config.app.shutdownTimeoutMs);
      await this.supervisor.stop();
      await this.sticky?.router.stop();
      await this.converging;
      this.rolloutGate?.stop();
      this.stopped = true;
      await this.reporter?.stop(); // the last report says `stopped`
      await this.endpoints.stop();
    })();
    return this.stopping;
  }

  /** schedulingPolicy 'sticky': what the router has routed; undefined under other policies. */
  stickyStats(): StickyStats | undefined {
    return this.sticky?.router.stats();
  }

  forceStop(): void {
    this.supervisor.forceStop();
  }

  /** SIGHUP: re-read the config; store, poll, keep, limits and health check apply at once. */
  async reload(): Promise<void> {
    const next = await loadConfig(this.config.configPath);
    const appChanged = JSON.stringify(next.app) !== JSON.stringify(this.config.app);
    if (next.store !== this.config.store || next.releasesDir !== this.config.releasesDir) {
      this.deps.log.warn({}, 'store and releasesDir changes need a restart (systemctl restart deploy-agent)');
    }
    if (appChanged) this.deps.log.warn({}, 'app settings changed: they apply from the next restart of the agent');
    if (JSON.stringify(next.control) !== JSON.stringify(this.config.control)) this.deps.log.warn({}, 'control settings changed: they apply from the next restart of the agent');
    this.config = next;
    await this.watcher?.stop();
    this.startWatcher();
    this.deps.log.info({ pollIntervalMs: next.pollIntervalMs, keep: next.keep }, 'configuration reloaded');
    this.tick();
  }

  private stateChanged(state: AgentState): void {
    this.reporter?.report();
    this.endpoints.onDeployState(state);
  }

  /** Control socket `status`: the instance report and what only this instance knows. */
  private controlStatus(): ControlStatus {
    const { deployer, snapshot } = this;
    if (!deployer || !snapshot) throw new DeployError('AGENT_STARTING', 'the agent is still starting; ask again in a moment');
    return controlStatus({ report: snapshot(), state: deployer.state, supervisor: this.supervisor.status(), configPath: this.config.configPath, pid: process.pid });
  }

  /** Control socket `rollback`: the previous release on disk, now (agent/deploy/local-rollback.ts). */
  private rollback(): Promise<RollbackResult> {
    return this.exclusive(async (deployer) => {
      const save = async (state: AgentState): Promise<void> => {
        deployer.state = state;
        await writeAgentState(this.dirs.stateFile, state);
        this.stateChanged(state);
      };
      const done = await rollBackLocally(deployer.state, {
        store: this.store,
        dirs: this.dirs,
        supervisor: this.supervisor,
        log: this.deps.log,
        save,
        envOf: async (version) => (await this.environments.resolve(await this.environments.recall(version))).env,
      });
      return { from: done.from, to: done.to, durationMs: done.durationMs, remembered: done.remembered };
    });
  }

  /** Runs `work` between convergence passes, never beside one; a tick meanwhile runs a pass after it. */
  private async exclusive<T>(work: (deployer: Deployer) => Promise<T>): Promise<T> {
    while (this.converging) await this.converging;
    const deployer = this.deployer;
    if (this.stopping) throw new DeployError('AGENT_STOPPING', 'the agent is stopping');
    if (!deployer) throw new DeployError('AGENT_STARTING', 'the agent is still starting; ask again in a moment');
    const run = work(deployer);
    this.converging = run
      .then(
        () => undefined,
        () => undefined,
      )
      .finally(() => {
        this.converging = undefined;
        if (this.again) this.tick();
      });
    return run;
  }

  private startWatcher(): void {
    const localDir = this.store instanceof LocalStore && existsSync(this.store.root) ? this.store.root : undefined;
    this.watcher = new DesiredWatcher({ pollIntervalMs: this.config.pollIntervalMs, localDir, onTick: () => this.tick() });
    this.watcher.start();
  }
}
