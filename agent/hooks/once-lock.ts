import { DeployError, describeError } from '../errors';
import { abortableDelay } from '../lifecycle/abortable-delay';
import type { Logger } from '../log/logger';
import type { ConditionalDocs } from '../store/conditional-docs';
import {
  finishedOnceDocument,
  givenUpOnceDocument,
  isOnceTakeable,
  newOnceDocument,
  onceLockKey,
  parseOnce,
  renewedOnceDocument,
  serializeOnce,
  type OnceDocument,
  type OnceResult,
} from './once-document';

export interface OnceLockDeps {
  /** The store's compare-and-swap documents (store.docs, conditional-docs.ts). */
  readonly locks: Pick<ConditionalDocs, 'read' | 'create' | 'replace'>;
  readonly storeUrl: string;
  /** This instance's id. */
  readonly holder: string;
  /** How long a runner's lease lasts; renewed every third of it. */
  readonly leaseMs: number;
  /** How often a waiting agent reads the lock. */
  readonly pollMs: number;
  readonly log: Logger;
  /** The agent's stop: waiting ends, a running hook is killed. */
  readonly signal: AbortSignal;
  readonly now?: () => number;
}

/** Whether this agent ran the hook, or another one had (successfully). */
export type OnceOutcome = 'ran-here' | 'ran-elsewhere';

/**
 * Runs `run` (the `once` hook) once for the whole fleet (DESIGN §8): the first
 * agent to create `locks/once-<version>.json` runs it under a lease it renews,
 * then records the result in that document for good. Every other agent waits,
 * reading the document, until it holds a result: success lets it go on, failure
 * fails the version there too (with the runner's code). A lease that runs out
 * with no result (the runner died) is taken over with a conditional write by
 * one of the waiting agents, which runs the hook again (so `once` commands must
 * be idempotent). A runner that finds its lease taken kills its hook and waits.
 */
export async function runOncePerFleet(deps: OnceLockDeps, version: string, run: (signal: AbortSignal) => Promise<void>): Promise<OnceOutcome> {
  const key = onceLockKey(version);
  const now = deps.now ?? Date.now;
  let waitingFor: string | undefined;
  for (;;) {
    const object = await deps.locks.read(key);
    const document = object === undefined ? undefined : parseOnce(object.text, `${key} in ${deps.storeUrl}`);
    if (document?.result !== undefined) return outcomeOf(document.result, version, deps.holder);
    if (isOnceTakeable(document, now())) {
      const next = newOnceDocument(version, deps.holder, deps.leaseMs, now(), (document?.attempt ?? 0) + 1);
      const text = serializeOnce(next);
      const etag = object === undefined ? await deps.locks.create(key, text) : await deps.locks.replace(key, object.etag, text);
      if (etag !== undefined) {
        if (document !== undefined) deps.log.warn({ hook: 'once', holder: document.holder, attempt: next.attempt }, `taking over the once hook of ${version} from ${document.holder} (its lease ran out at ${document.expiresAt} with no result)`);
        const result = await runHeld(deps, key, { etag, document: next }, run);
        if (result !== undefined) return outcomeOf(result, version, deps.holder);
        continue; // lost the lease mid-run: someone else runs it now
      }
      continue; // another agent was quicker: read what it wrote
    }
    if (document !== undefined && waitingFor !== document.holder) {
      waitingFor = document.holder;
      deps.log.info({ hook: 'once', holder: document.holder, expiresAt: document.expiresAt }, `waiting for the once hook of ${version}, run by ${document.holder}`);
    }
    await abortableDelay(deps.pollMs, deps.signal, `waiting for the once hook of ${version}`);
  }
}

interface Held {
  etag: string;
  document: OnceDocument;
}

/** Runs the hook under the lease; its result once recorded, or undefined when the lease was lost. */
async function runHeld(deps: OnceLockDeps, key: string, held: Held, run: (signal: AbortSignal) => Promise<void>): Promise<OnceResult | undefined> {
  const now = deps.now ?? Date.now;
  const stop = new AbortController();
  const onStop = (): void => stop.abort();
  deps.signal.addEventListener('abort', onStop);
  let lost = false;
  let writes: Promise<void> = Promise.resolve();
  const change = (make: (document: OnceDocument) => OnceDocument): Promise<void> =>
    (writes = writes.then(async () => {
      if (lost) return;
      const next = make(held.document);
      const etag = await deps.locks.replace(key, held.etag, serializeOnce(next));
      if (etag === undefined) {
        lost = true;
        return;
      }
      held.etag = etag;
      held.document = next;
    }));
  const renewals = setInterval(() => {
    void change((document) => renewedOnceDocument(document, deps.leaseMs, now())).then(
      () => {
        if (lost && !stop.signal.aborted) {
          deps.log.error({ hook: 'once' }, `the once lease ${key} was taken over by another instance; stopping the hook here`);
          stop.abort();
        }
      },
      (error: unknown) => deps.log.warn({ hook: 'once', err: describeError(error) }, `could not renew the once lease ${key}; trying again`),
    );
  }, Math.max(100, Math.floor(deps.leaseMs / 3)));
  let result: OnceResult;
  try {
    await run(stop.signal);
    result = { ok: true, by: deps.holder, at: new Date(now()).toISOString() };
  } catch (error) {
    if (lost) return undefined;
    if (deps.signal.aborted) {
      clearInterval(renewals);
      await change((document) => givenUpOnceDocument(document, now())).catch(() => undefined);
      throw error;
    }
    const code = error instanceof DeployError ? error.code : 'HOOK_FAILED';
    result = { ok: false, code, message: describeError(error), by: deps.holder, at: new Date(now()).toISOString() };
  } finally {
    clearInterval(renewals);
    deps.signal.removeEventListener('abort', onStop);
  }
  await recordResult(deps, key, change, result);
  return lost ? undefined : result;
}

/** Writes the result into the lock, retrying a store that fails for a while (the lease stays ours meanwhile). */
async function recordResult(deps: OnceLockDeps, key: string, change: (make: (document: OnceDocument) => OnceDocument) => Promise<void>, result: OnceResult): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await change((document) => finishedOnceDocument(document, result));
      deps.log.info({ hook: 'once', ok: result.ok }, `recorded the once result in ${key}`);
      return;
    } catch (error) {
      if (attempt >= 5) throw error;
      deps.log.warn({ hook: 'once', err: describeError(error), attempt }, `could not record the once result in ${key}; trying again`);
      await abortableDelay(Math.min(deps.leaseMs / 6, 1000 * attempt), undefined, 'recording the once result');
    }
  }
}

function outcomeOf(result: OnceResult, version: string, holder: string): OnceOutcome {
  if (result.ok) return result.by === holder ? 'ran-here' : 'ran-elsewhere';
  const where = result.by === holder ? 'here' : `on ${result.by}`;
  throw new DeployError(result.code ?? 'HOOK_FAILED', `the once hook of ${version} failed ${where}, so ${version} fails on every instance: ${result.message ?? 'no message'}`);
}
