import type { Release } from '../cluster/managed-worker';
import type { Supervisor } from '../cluster/supervisor';
import { DeployError, describeError } from '../errors';
import type { Logger } from '../log/logger';
import type { ReleaseStore } from '../store/release-store';
import { wentLiveNewestFirst, withWentLive, type AgentState } from './agent-state';
import type { ReleaseDirs } from './release-dirs';

/** `lastDeploy.errorCode` of a release rolled back by a person on the instance. */
export const OPERATOR_ROLLBACK = 'OPERATOR_ROLLBACK';

export interface LocalRollbackDeps {
  readonly store: Pick<ReleaseStore, 'url' | 'readDesired' | 'readManifest'>;
  readonly dirs: ReleaseDirs;
  readonly supervisor: Supervisor;
  readonly log: Logger;
  /** Writes state.json and tells everyone who watches the state (status report, metrics). */
  readonly save: (state: AgentState) => Promise<void>;
  /** The release's own env (manifest env and resolved secrets, agent/secrets/). @default none */
  readonly envOf?: (version: string) => Promise<Readonly<Record<string, string>>>;
}

export interface LocalRollback {
  readonly state: AgentState;
  readonly from: string;
  readonly to: string;
  readonly durationMs: number;
  /** The version desired.json names, remembered as failed (null when there is none, or it names `to`). */
  readonly remembered: string | null;
}

/**
 * `deploy-agent rollback`: this instance goes back to the previous release on
 * disk now, in place (worker by worker, like any roll), and remembers what
 * desired.json names as failed, so the next poll does not deploy it again;
 * a change of desired.json (a push, `deployctl rollback`) clears that. The
 * caller runs it between convergence passes, never during a deploy.
 */
export async function rollBackLocally(state: AgentState, deps: LocalRollbackDeps): Promise<LocalRollback> {
  const { dirs, supervisor, log } = deps;
  const from = state.current;
  if (from === null) throw new DeployError('NO_PREVIOUS_RELEASE', 'no previous release on this instance to roll back to (nothing has run yet)');
  const to = await rollbackTarget(state, from, dirs);
  const desired = await readDesiredOrRefuse(deps, from);
  const remembered = desired && desired.value.version !== to ? desired.value.version : null;
  const failed = remembered && desired
    ? { version: remembered, desiredEtag: desired.etag, reason: `rolled back to ${to} on the instance (deploy-agent rollback)`, at: new Date().toISOString() }
    : state.failed;
  const startedAt = Date.now();
  const release = await releaseOf(to, deps);
  log.warn({ step: 'rolling-back', version: to, from, remembered }, `rolling back from ${from} to ${to} (deploy-agent rollback)`);
  // Saved first: if the agent dies mid-roll, the version rolled away from is still not redeployed.
  await deps.save({ ...state, state: 'rolling-back', target: to, failed });
  try {
    await runRelease(supervisor, release);
  } catch (error) {
    await deps.save(state);
    log.error({ step: 'idle', version: to, from, err: describeError(error) }, `rollback to ${to} failed; ${supervisor.version ?? 'nothing'} keeps serving`);
    throw error;
  }
  await dirs.switchCurrent(to);
  const durationMs = Date.now() - startedAt;
  const next: AgentState = {
    ...withWentLive(state, to),
    state: 'idle',
    target: null,
    current: to,
    previous: from,
    failed,
    lastDeploy: {
      version: from,
      result: 'rolled-back',
      error: `rolled back to ${to} on the instance (deploy-agent rollback)`,
      errorCode: OPERATOR_ROLLBACK,
      startedAt: new Date(startedAt).toISOString(),
      durationMs,
    },
  };
  await deps.save(next);
  log.info({ step: 'idle', version: to, from, durationMs }, `${to} is live again${remembered ? `; ${remembered} is not redeployed until desired.json changes` : ''}`);
  return { state: next, from, to, durationMs, remembered };
}

/**
 * The newest release that went live here before `from`, is still on disk and
 * is not the one just rolled back (state.json's `wentLive`). A state.json
 * written before `wentLive` existed falls back to `previous`.
 */
async function rollbackTarget(state: AgentState, from: string, dirs: ReleaseDirs): Promise<string> {
  const candidates = state.wentLive === undefined ? [state.previous].filter((v): v is string => v !== null) : wentLiveNewestFirst(state);
  const skipped: string[] = [];
  for (const version of candidates) {
    if (version === from) continue;
    if (state.failed?.version === version) {
      skipped.push(`${version} (rolled back: ${state.failed.reason})`);
      continue;
    }
    if (await dirs.has(version)) return version;
    skipped.push(`${version} (no longer in ${dirs.releases})`);
  }
  if (skipped.length > 0 && state.failed !== null && skipped.length === 1 && skipped[0]?.startsWith(`${state.failed.version} `)) {
    throw new DeployError(
      'ROLLBACK_TO_FAILED',
      `the previous release ${state.failed.version} is the one that was rolled back (${state.failed.reason}); to run it again, change desired.json (deployctl push or deployctl rollback ${state.failed.version})`,
    );
  }
  if (skipped.length === 0) throw new DeployError('NO_PREVIOUS_RELEASE', `no previous release on this instance to roll back to (only ${from} has run here)`);
  const why = skipped.length > 0 ? `; not: ${skipped.join(', ')}` : '';
  throw new DeployError(
    'NO_PREVIOUS_RELEASE',
    `no release that went live on this instance before ${from} is on its disk to roll back to${why}; deploy the version you want instead (deployctl rollback <version>)`,
  );
}

async function readDesiredOrRefuse(deps: LocalRollbackDeps, from: string) {
  try {
    return await deps.store.readDesired();
  } catch (error) {
    throw new DeployError(
      'STORE_UNREADABLE',
      `cannot read desired.json from ${deps.store.url} (${describeError(error)}), so ${from} could not be remembered as failed and would be deployed again; nothing was changed, try again when the store is readable`,
      { cause: error },
    );
  }
}

/** The release as the deployer ran it: its manifest's entry file when the store still has the manifest. */
async function releaseOf(version: string, deps: LocalRollbackDeps): Promise<Release> {
  const dir = deps.dirs.dirOf(version);
  // A secret that cannot be read fails the rollback here, before any worker changes.
  const env = deps.envOf ? { env: await deps.envOf(version) } : {};
  try {
    const manifest = await deps.store.readManifest(version);
    return { version, dir, ...(manifest?.entry ? { entry: manifest.entry } : {}), ...env };
  } catch {
    return { version, dir, ...env };
  }
}

async function runRelease(supervisor: Supervisor, release: Release): Promise<void> {
  if (!supervisor.running) {
    await supervisor.start(release);
    return;
  }
  const result = await supervisor.roll(release);
  if (!result.ok) {
    const back = result.rolledBack ? `; the workers went back to ${result.previousVersion}` : '';
    throw new DeployError('ROLLBACK_FAILED', `rollback to ${release.version} failed at ${result.failure?.step ?? 'start'}: ${result.failure?.message ?? 'unknown'}${back}`);
  }
}
