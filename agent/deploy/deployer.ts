import { hostname } from 'node:os';
import path from 'node:path';
import type { Release } from '../cluster/managed-worker';
import type { Supervisor } from '../cluster/supervisor';
import type { RuntimeConfig } from '../config/runtime-config';
import { DeployError, describeError } from '../errors';
import type { Logger } from '../log/logger';
import { unpackRelease } from '../release/unpack-release';
import { verifyManifest } from '../release/verify-manifest';
import type { DesiredState } from '../store/documents';
import type { ReleaseStore, Versioned } from '../store/release-store';
import type { ServiceTraffic } from '../traffic/service-traffic';
import type { Admission, DeployOutcome, RolloutGate } from '../rollout/rollout-gate';
import { wentLiveNewestFirst, withWentLive, type AgentState } from './agent-state';
import { commitRelease } from './commit-release';
import { transition, type DeployState } from './deploy-state';
import { checkHealth } from './health-check';
import type { ReleaseDirs } from './release-dirs';
import { deployRolling } from './rolling-deploy';
import { deployServiceOut } from './service-out';
import type { SlotGate } from './service-out-slot';
import { isTransientFailure, planRetry, retryDue, retryNote, type RetryNote, type RetryPlan } from './retry-backoff';
import { DeployHooks } from '../hooks/deploy-hooks';
import { defaultEnvironments } from '../secrets/default-environments';
import { ReleaseEnvironments } from '../secrets/release-environments';
import { HookPidFile } from '../hooks/hook-pid-file';
import { runBeforeRoll } from '../hooks/before-roll';
import type { RunningHook } from '../hooks/hook-names';

export interface DeployerDeps {
  readonly store: ReleaseStore;
  readonly dirs: ReleaseDirs;
  readonly supervisor: Supervisor;
  readonly config: () => RuntimeConfig;
  readonly log: Logger;
  /** Told of every change of step, and of the version desired.json names (status reports, metrics). */
  readonly onChange?: (state: AgentState) => void;
  /** With a load balancer configured: what service-out deploys need. */
  readonly serviceOut?: { readonly traffic: ServiceTraffic; readonly slots: SlotGate };
  /** Fires when the agent stops: a service-out deploy stops waiting. */
  readonly signal?: AbortSignal;
  /** Fleet rollouts (agent/rollout/): asked before a deploy whose turn it is, told how it ended. */
  readonly rollout?: Pick<RolloutGate, 'admit' | 'settle'>;
  /** This instance's id: hooks get it, the once lock is held in its name. @default the host name */
  readonly instanceId?: string;
  /** Each release's env and secrets (agent/secrets/). @default from config.ssm, remembered under releasesDir */
  readonly environments?: ReleaseEnvironments;
}

/**
 * Converges this instance to desired.json, one deploy at a time, through the
 * state machine of deploy-state.ts. Every failure ends with the previous
 * release serving and the failed version remembered, so it is not retried
 * until desired.json changes.
 */
export class Deployer {
  private step: DeployState = 'idle';
  /** The current deploy got as far as replacing workers. */
  private touchedWorkers = false;
  private storeProblem: string | undefined;
  private desiredSeen: string | null = null;
  /** Set after a transient failure (store unreachable, download cut): when to try again. */
  private retry: RetryPlan | undefined;
  /** What the last try failed with, while it waits to be tried again (the status report's `retrying`). */
  private retryNote: RetryNote | undefined;
  /** Why the rollout gate last said wait (logged once per change). */
  private waitingFor: string | undefined;
  /** The current deploy's release hooks (agent/hooks/), and the one running now. */
  private hooks: DeployHooks | undefined;
  private running: RunningHook | null = null;

  private readonly environments: ReleaseEnvironments;

  constructor(
    private readonly deps: DeployerDeps,
    public state: AgentState,
  ) {
    this.environments = deps.environments ?? defaultEnvironments(deps.dirs.root, () => deps.config().ssm);
  }

  /** The version desired.json named when it was last read; null before the first read or while there is none. */
  get desiredVersion(): string | null {
    return this.desiredSeen;
  }

  /** The release hook running right now (status reports), or null. */
  get hook(): RunningHook | null {
    return this.running;
  }

  /** A deploy waiting to be tried again after a transient failure (until desired.json changes); undefined otherwise. */
  get retrying(): RetryNote | undefined {
    return this.retryNote;
  }

  /** One pass: read desired.json and deploy it if it asks for something new. */
  async converge(): Promise<void> {
    const desired = await this.readDesired();
    if (!desired) return;
    if (this.retry?.desiredEtag !== desired.etag) this.retryNote = undefined; // desired.json changed: not retried as such
    const version = desired.value.version;
    const { supervisor } = this.deps;
    if (version === this.state.current && supervisor.running) return;
    const failed = this.state.failed;
    if (failed && failed.version === version && failed.desiredEtag === desired.etag) return;
    if (!retryDue(this.retry, version, desired.etag, Date.now())) return;
    const admission = await this.admit(desired);
    if (admission === undefined || admission.kind === 'wait') return;
    if (admission.version === this.state.current && supervisor.running) return;
    const outcome = await this.deploy(desired, admission.version);
    await this.deps.rollout?.settle(desired, admission, outcome);
  }

  /** The rollout gate's answer (DESIGN §7); undefined when the store could not be asked (tried again next poll). */
  private async admit(desired: Versioned<DesiredState>): Promise<Admission | undefined> {
    const gate = this.deps.rollout;
    if (!gate) return { kind: 'deploy', version: desired.value.version };
    let admission: Admission;
    try {
      const failed = this.state.failed?.desiredEtag === desired.etag ? this.state.failed.version : null;
      admission = await gate.admit(desired, { current: this.state.current, failedVersion: failed });
    } catch (error) {
      this.deps.log.warn({ version: desired.value.version, code: codeOf(error), err: describeError(error) }, 'cannot read the rollout records; asking again on the next poll');
      return undefined;
    }
    const reason = admission.kind === 'wait' ? admission.reason : undefined;
    if (reason !== undefined && reason !== this.waitingFor) this.deps.log.info({ version: desired.value.version, step: 'idle' }, `waiting: ${reason}`);
    this.waitingFor = reason;
    return admission;
  }

  private async readDesired(): Promise<Versioned<DesiredState> | undefined> {
    try {
      const desired = await this.deps.store.readDesired();
      if (this.storeProblem) this.deps.log.info({ store: this.deps.store.url }, 'release store readable again');
      this.storeProblem = undefined;
      const seen = desired?.value.version ?? null;
      if (seen !== this.desiredSeen) {
        this.desiredSeen = seen;
        this.deps.onChange?.(this.state);
      }
      return desired;
    } catch (error) {
      const problem = describeError(error);
      // Once per change of problem, not once per poll; the current release keeps serving.
      if (problem !== this.storeProblem) {
        this.deps.log.error({ store: this.deps.store.url, code: codeOf(error), err: problem }, 'cannot read desired.json; keeping the current release');
      }
      this.storeProblem = problem;
      return undefined;
    }
  }

  private async deploy(desired: Versioned<DesiredState>, version: string): Promise<DeployOutcome> {
    const { store, dirs, supervisor, log } = this.deps;
    const config = this.deps.config();
    const startedAt = new Date();
    const previous = this.state.current;
    const dlog = log.child({ version, previous });
    const serviceOut = desired.value.strategy === 'service-out' ? this.deps.serviceOut : undefined;
    if (desired.value.strategy === 'service-out' && !serviceOut) {
      dlog.warn({ step: 'fetching', strategy: 'service-out' }, 'desired.json asks for a service-out deploy, but no loadBalancer is configured; deploying rolling');
    }
    dlog.info({ step: 'fetching', strategy: serviceOut ? 'service-out' : 'rolling' }, `deploying ${version}`);
    this.touchedWorkers = false;
    this.hooks = undefined;
    let unpackedNow = false;
    this.retryNote = undefined;
    try {
      await this.to('fetching', version);
      const manifest = await store.readManifest(version);
      if (!manifest) {
        throw new DeployError('MANIFEST_NOT_FOUND', `desired.json asks for ${version}, but releases/${version}.json is not in ${store.url}; push it first`);
      }
      const signer = verifyManifest(manifest, config.trustedKeys);
      if (signer) dlog.info({ step: this.step, keyId: signer.keyId }, `signature of ${version} verified (key ${signer.keyId})`);
      // Secrets before anything changes: a missing or forbidden one fails the version here.
      const releaseConfig = ReleaseEnvironments.configOf(manifest);
      const resolved = await this.environments.resolve(releaseConfig);
      if (await dirs.has(version)) {
        dlog.info({ step: this.step }, `${version} is already unpacked`);
      } else {
        const source = await store.openArtifact(manifest);
        await this.to('unpacking', version);
        const unpacked = await unpackRelease({
          source,
          expected: { sha256: manifest.sha256, size: manifest.size },
          releasesDir: dirs.releases,
          version,
          limits: config.limits,
        });
        dlog.info({ step: this.step, files: unpacked.files, bytes: unpacked.bytes }, `unpacked ${version}`);
        unpackedNow = true;
      }
      const release: Release = { version, dir: dirs.dirOf(version), ...(manifest.entry ? { entry: manifest.entry } : {}), env: resolved.env };
      await this.environments.remember(version, releaseConfig);
      await this.beforeRoll(release, previous, unpackedNow, resolved.secretValues, dlog);
      // The running release object carries its env (and resolved secrets) for a rollback to it.
      const running = supervisor.release?.version === previous ? supervisor.release : undefined;
      const before = previous && (await dirs.has(previous)) ? (running ?? { version: previous, dir: dirs.dirOf(previous) }) : undefined;
      if (serviceOut) {
        await deployServiceOut(
          {
            ...serviceOut,
            supervisor,
            log: dlog,
            step: (next) => this.to(next, version),
            validate: () => this.check(config),
            maxSurge: config.loadBalancer?.maxSurge,
            signal: this.deps.signal ?? new AbortController().signal,
          },
          release,
          before,
        );
      } else {
        const rolling = { supervisor, log: dlog, step: (next: DeployState) => this.to(next, version), validate: () => this.check(config) };
        await deployRolling(rolling, release, before);
      }
      const next: AgentState = {
        ...withWentLive(this.state, version),
        state: 'idle',
        target: null,
        previous: previous === version ? this.state.previous : previous,
        current: version,
        failed: null,
        lastDeploy: { version, result: 'succeeded', startedAt: startedAt.toISOString(), durationMs: Date.now() - startedAt.getTime() },
      };
      const rollingBack = () => this.to('rolling-back', version);
      const standDown = () => this.standDown(dlog);
      await commitRelease({ dirs, supervisor, log: dlog, rollingBack, standDown }, { release, before, next });
      this.step = transition(this.step, 'idle');
      this.state = next;
      this.deps.onChange?.(this.state);
      this.retry = undefined;
      dlog.info({ step: 'idle', durationMs: Date.now() - startedAt.getTime() }, `${version} is live`);
      await this.afterLive(dlog);
      await this.prune(config.keep);
      return { ok: true };
    } catch (error) {
      return this.fail(desired, version, error, startedAt, previous);
    }
  }

  /** Out of service (when in) and every worker stopped: the first release could not be committed. */
  private async standDown(dlog: Logger): Promise<void> {
    const traffic = this.deps.serviceOut?.traffic;
    if (traffic?.inService) {
      await traffic.takeOut(this.deps.signal ? { signal: this.deps.signal } : {}).catch((error: unknown) => {
        dlog.error({ err: describeError(error) }, `could not take this instance out of service before stopping its workers: ${describeError(error)}`);
      });
    }
    await this.deps.supervisor.stopWorkers();
  }

  /** The app's health check (app.healthCheck), when there is one, then the release's `validate` hook. */
  private async check(config: RuntimeConfig): Promise<void> {
    const check = config.healthCheck;
    if (check) await checkHealth(config.app.port, check.path, check.timeoutMs);
    await this.hooks?.run('validate');
  }

  /** Before any worker changes: the release's `prepare` and `once` hooks, in `preparing` (agent/hooks/before-roll.ts). */
  private async beforeRoll(release: Release, previous: string | null, unpackedNow: boolean, secretValues: readonly string[], dlog: Logger): Promise<void> {
    this.hooks = await DeployHooks.load(
      {
        store: this.deps.store,
        config: this.deps.config(),
        instanceId: this.deps.instanceId ?? hostname(),
        log: dlog,
        step: () => this.step,
        signal: this.deps.signal ?? new AbortController().signal,
        redact: secretValues,
        pidFile: new HookPidFile(path.join(this.deps.dirs.root, 'hook.pid')),
        onHook: (hook) => {
          this.running = hook;
          this.deps.onChange?.(this.state);
        },
      },
      release,
      previous,
    );
    await runBeforeRoll(this.hooks, {
      prepared: this.state.prepared ?? [],
      unpackedNow,
      log: dlog,
      enter: () => this.to('preparing', release.version),
      recordPrepared: (prepared) => (this.state = { ...this.state, prepared }),
    });
  }

  /** After live: the `afterLive` hook; its failure is logged and reported with the deploy, never rolled back. */
  private async afterLive(dlog: Logger): Promise<void> {
    const warning = await this.hooks?.afterLive();
    if (warning === undefined || !this.state.lastDeploy) return;
    this.state = { ...this.state, lastDeploy: { ...this.state.lastDeploy, warning } };
    await this.deps.dirs.writeState(this.state).catch((error: unknown) => dlog.warn({ step: this.step, err: describeError(error) }, 'state.json not updated with the afterLive failure'));
    this.deps.onChange?.(this.state);
  }

  private async fail(desired: Versioned<DesiredState>, version: string, error: unknown, startedAt: Date, previous: string | null): Promise<DeployOutcome> {
    const reason = describeError(error);
    const servingPrevious = this.deps.supervisor.version === previous && previous !== null;
    // 'rolled-back' only when new workers had started; a refused artifact changed nothing.
    const touchedWorkers = this.touchedWorkers;
    if (!touchedWorkers && isTransientFailure(codeOf(error))) {
      await this.failTransiently(desired, version, error);
      return { ok: false, error: reason, counts: false };
    }
    this.retry = undefined;
    if (this.step !== 'rolling-back' && this.step !== 'idle') await this.to('rolling-back', version);
    // A deploy cut short by the agent's stop is tried again after the restart.
    const interrupted = this.deps.signal?.aborted === true;
    this.state = {
      ...this.state,
      failed: interrupted ? this.state.failed : { version, desiredEtag: desired.etag, reason, at: new Date().toISOString() },
      lastDeploy: {
        version,
        result: servingPrevious && touchedWorkers ? 'rolled-back' : 'failed',
        error: reason,
        errorCode: codeOf(error),
        startedAt: startedAt.toISOString(),
        durationMs: Date.now() - startedAt.getTime(),
      },
    };
    await this.to('idle', null);
    const serving = this.deps.supervisor.version ?? null;
    const what = servingPrevious ? `${previous} keeps serving` : serving ? `${serving} serves` : 'nothing else to serve';
    this.deps.log.error(
      { step: this.step, version, code: codeOf(error), err: reason, serving },
      `deploy of ${version} failed; ${what}; not retried until desired.json changes`,
    );
    return { ok: false, error: reason, counts: !interrupted };
  }

  /**
   * The store or the download failed, not the release: nothing changed on this
   * instance, nothing is remembered as failed, and the deploy is tried again
   * after a backoff (retry-backoff.ts).
   */
  private async failTransiently(desired: Versioned<DesiredState>, version: string, error: unknown): Promise<void> {
    this.retry = planRetry(this.retry, { version, desiredEtag: desired.etag }, Date.now(), this.deps.config().pollIntervalMs);
    this.retryNote = retryNote(this.retry, codeOf(error), describeError(error));
    if (this.step !== 'rolling-back' && this.step !== 'idle') await this.to('rolling-back', version);
    await this.to('idle', null);
    const serving = this.deps.supervisor.version ?? null;
    this.deps.log.error(
      { version, code: codeOf(error), err: describeError(error), serving, attempt: this.retry.attempts, retryInMs: this.retry.delayMs },
      `deploy of ${version} failed; ${serving ?? 'nothing'} keeps serving; trying again in ${Math.ceil(this.retry.delayMs / 1000)} s`,
    );
  }

  private async prune(keep: number): Promise<void> {
    const protect = new Set([this.state.current, this.state.previous].filter((v): v is string => v !== null));
    try {
      const removed = await this.deps.dirs.prune(keep, protect, wentLiveNewestFirst(this.state));
      if (removed.length > 0) this.deps.log.info({ step: this.step, version: this.state.current, removed, keep }, `removed ${removed.length} old release(s)`);
      for (const version of removed) await this.environments.forget(version);
      if (removed.length > 0) this.state = { ...this.state, prepared: (this.state.prepared ?? []).filter((v) => !removed.includes(v)) };
    } catch (error) {
      this.deps.log.warn({ step: this.step, version: this.state.current, err: describeError(error) }, 'could not prune old releases');
    }
  }

  /**
   * Moves to `next` and records it in state.json. A step forward is not taken
   * unless it is recorded (STATE_WRITE_FAILED, e.g. a full disk); rolling back
   * and coming to rest always happen, recorded or not, so a failure can never
   * leave the deploy half-way (the running release and `current` are the truth).
   */
  private async to(next: DeployState, target: string | null): Promise<void> {
    this.step = transition(this.step, next);
    if (next === 'rolling') this.touchedWorkers = true;
    this.state = { ...this.state, state: next, target };
    if (next !== 'idle') this.deps.log.info({ step: next, version: target }, `step ${next}`);
    try {
      await this.deps.dirs.writeState(this.state);
    } catch (error) {
      const failure = new DeployError('STATE_WRITE_FAILED', `cannot write ${this.deps.dirs.stateFile}: ${describeError(error)}; free disk space there`, { cause: error });
      if (next !== 'rolling-back' && next !== 'idle') throw failure;
      this.deps.log.error({ step: next, code: failure.code, err: failure.message }, `state.json not updated (step ${next}); carrying on`);
    }
    // After the write: a report never runs ahead of state.json.
    this.deps.onChange?.(this.state);
  }

}

function codeOf(error: unknown): string {
  return error instanceof DeployError ? error.code : 'UNEXPECTED';
}
