import type { Release } from '../cluster/managed-worker';
import type { RuntimeConfig } from '../config/runtime-config';
import { describeError } from '../errors';
import type { Logger } from '../log/logger';
import type { ReleaseStore } from '../store/release-store';
import { hookEnv } from './hook-env';
import type { HookName, RunningHook } from './hook-names';
import type { HookPidFile } from './hook-pid-file';
import { runHook } from './hook-runner';
import { runOncePerFleet } from './once-lock';
import { readReleaseHooks, type ReleaseHooks } from './release-hooks-file';

export interface DeployHooksDeps {
  readonly store: ReleaseStore;
  readonly config: RuntimeConfig;
  readonly instanceId: string;
  /** The deploy's logger (carries version and previous). */
  readonly log: Logger;
  /** The deploy step, for the `step` field of output lines. */
  readonly step: () => string;
  /** The agent's stop. */
  readonly signal: AbortSignal;
  /** Told when a hook starts (its name) and ends (null): status reports show it. */
  readonly onHook: (hook: RunningHook | null) => void;
  /** Resolved secret values: never logged (hook output is redacted). */
  readonly redact?: readonly string[];
  /** Where the running hook's process group is recorded (killed at the next start if the agent dies). */
  readonly pidFile?: HookPidFile;
}

/**
 * One deploy's hooks (DESIGN §8): the release's declaration, read from its
 * dir, and each hook run at its point of the deploy with the workers' env.
 */
export class DeployHooks {
  private constructor(
    private readonly deps: DeployHooksDeps,
    private readonly release: Release,
    private readonly previous: string | null,
    readonly declared: ReleaseHooks,
  ) {}

  static async load(deps: DeployHooksDeps, release: Release, previous: string | null): Promise<DeployHooks> {
    const declared = await readReleaseHooks(release.dir);
    if (declared.source !== undefined) {
      deps.log.info({ step: deps.step(), hooks: Object.keys(declared.commands), hookTimeoutMs: declared.hookTimeoutMs }, `${release.version} declares hooks in ${declared.source}`);
    }
    return new DeployHooks(deps, release, previous, declared);
  }

  /** The release these hooks belong to. */
  get version(): string {
    return this.release.version;
  }

  has(name: HookName): boolean {
    return this.declared.commands[name] !== undefined;
  }

  /** Runs the hook when the release declares it; throws HOOK_FAILED / HOOK_TIMEOUT / HOOK_INTERRUPTED. */
  async run(name: HookName, signal: AbortSignal = this.deps.signal): Promise<void> {
    const command = this.declared.commands[name];
    if (command === undefined) return;
    const { config } = this.deps;
    this.deps.onHook({ name, version: this.release.version, startedAt: new Date().toISOString() });
    try {
      await runHook({
        name,
        command,
        cwd: this.release.dir,
        env: hookEnv(name, { app: config.app, release: this.release, previous: this.previous, instanceId: this.deps.instanceId }),
        uid: config.app.user,
        gid: config.app.group,
        timeoutMs: this.declared.hookTimeoutMs,
        log: this.deps.log.child({ step: this.deps.step() }),
        signal,
        ...(this.deps.redact ? { redact: this.deps.redact } : {}),
        onSpawn: (pid) => this.deps.pidFile?.record(pid),
      });
    } finally {
      this.deps.pidFile?.clear();
      this.deps.onHook(null);
    }
  }

  /** `once`: run by one agent of the fleet, waited for by the others (once-lock.ts). */
  async once(): Promise<void> {
    if (!this.has('once')) return;
    const { config, store } = this.deps;
    const outcome = await runOncePerFleet(
      {
        locks: store.docs,
        storeUrl: store.url,
        holder: this.deps.instanceId,
        leaseMs: config.hooks.onceLeaseMs,
        pollMs: config.pollIntervalMs,
        log: this.deps.log.child({ step: this.deps.step() }),
        signal: this.deps.signal,
      },
      this.release.version,
      (signal) => this.run('once', signal),
    );
    this.deps.log.info({ step: this.deps.step(), hook: 'once', outcome }, outcome === 'ran-here' ? `once hook of ${this.release.version} ran here` : `once hook of ${this.release.version} already ran on another instance`);
  }

  /** `afterLive`: a failure is logged and returned (for the report), never thrown. */
  async afterLive(): Promise<string | undefined> {
    try {
      await this.run('afterLive');
      return undefined;
    } catch (error) {
      const message = describeError(error);
      this.deps.log.error({ step: this.deps.step(), hook: 'afterLive', err: message }, `the afterLive hook of ${this.release.version} failed; ${this.release.version} stays live`);
      return message;
    }
  }
}
