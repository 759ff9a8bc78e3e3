import { PassThrough } from 'node:stream';
import { DeployError } from '../../../../agent/errors';
import { newOnceDocument, onceLockKey, parseOnce, serializeOnce } from '../../../../agent/hooks/once-document';
import { runOncePerFleet, type OnceLockDeps } from '../../../../agent/hooks/once-lock';
import { createLogger } from '../../../../agent/log/logger';
import { delay, withTimeout } from '../../../support/with-timeout';
import { backends, type Backend } from '../store/store-backends';

const LEASE_MS = 1500;

describe.each(backends)('runOncePerFleet: the once hook, once for the fleet (%s store)', (_name, makeBackend) => {
  let backend: Backend;
  let stops: AbortController[];
  beforeEach(async () => {
    backend = await makeBackend();
    stops = [];
  });
  afterEach(async () => {
    for (const stop of stops) stop.abort();
    await backend.cleanup();
  });

  function agent(holder: string): OnceLockDeps {
    const stop = new AbortController();
    stops.push(stop);
    return { locks: backend.store.docs, storeUrl: backend.store.url, holder, leaseMs: LEASE_MS, pollMs: 50, log: createLogger(new PassThrough().resume(), 'silent'), signal: stop.signal };
  }

  async function settle<T>(promise: Promise<T>): Promise<T | DeployError> {
    return withTimeout(promise.catch((e: unknown) => (e instanceof DeployError ? e : Promise.reject(e))), 30_000, 'the once hook of the fleet');
  }

  it('runs the hook on exactly one of three racing agents; the others go on once it succeeded', async () => {
    let runs = 0;
    const hook = async () => {
      runs += 1;
      await delay(300);
    };

    const outcomes = await Promise.all(['i-1', 'i-2', 'i-3'].map((id) => settle(runOncePerFleet(agent(id), 'v5', hook))));

    expect(runs).toBe(1);
    expect([...outcomes].sort()).toEqual(['ran-elsewhere', 'ran-elsewhere', 'ran-here']);
    const recorded = await backend.store.docs.read(onceLockKey('v5'));
    expect(parseOnce(recorded?.text ?? '', 'lock')?.result).toMatchObject({ ok: true });
  });

  it('fails the version on every agent when the hook fails, with the runner’s code, and never runs it again', async () => {
    let runs = 0;
    const hook = async () => {
      runs += 1;
      throw new DeployError('HOOK_FAILED', 'the once hook (./migrate) exited with code 1');
    };

    const outcomes = await Promise.all(['i-1', 'i-2', 'i-3'].map((id) => settle(runOncePerFleet(agent(id), 'v6', hook))));
    const later = await settle(runOncePerFleet(agent('i-4'), 'v6', hook));

    expect(runs).toBe(1);
    for (const outcome of [...outcomes, later]) {
      expect(outcome).toBeInstanceOf(DeployError);
      expect(outcome).toMatchObject({ code: 'HOOK_FAILED', message: expect.stringMatching(/once hook of v6 failed .*exited with code 1/) });
    }
  });

  it('renews the lease of a long hook, so the waiting agents do not take it over', async () => {
    let runs = 0;
    const hook = async () => {
      runs += 1;
      await delay(LEASE_MS * 3);
    };

    const outcomes = await Promise.all(['i-1', 'i-2'].map((id) => settle(runOncePerFleet(agent(id), 'v7', hook))));

    expect(runs).toBe(1);
    expect([...outcomes].sort()).toEqual(['ran-elsewhere', 'ran-here']);
  });

  it('takes over the run of an agent that died holding the lease, once its lease has run out', async () => {
    // i-dead took the lock and never wrote again.
    const dead = newOnceDocument('v8', 'i-dead', LEASE_MS, Date.now(), 1);
    expect(await backend.store.docs.create(onceLockKey('v8'), serializeOnce(dead))).toBeDefined();
    let runs = 0;
    const startedAt = Date.now();

    const outcomes = await Promise.all(
      ['i-1', 'i-2'].map((id) =>
        settle(
          runOncePerFleet(agent(id), 'v8', async () => {
            runs += 1;
          }),
        ),
      ),
    );

    expect(runs).toBe(1);
    expect(Date.now()).toBeGreaterThanOrEqual(startedAt + LEASE_MS - 100);
    expect([...outcomes].sort()).toEqual(['ran-elsewhere', 'ran-here']);
    const recorded = parseOnce((await backend.store.docs.read(onceLockKey('v8')))?.text ?? '', 'lock');
    expect(recorded).toMatchObject({ attempt: 2, result: { ok: true } });
  });

  it('gives the lease up when its agent stops mid-hook, so another agent takes over at once', async () => {
    const first = agent('i-1');
    let started!: () => void;
    const running = new Promise<void>((resolve) => (started = resolve));
    const stopping = settle(
      runOncePerFleet(first, 'v9', (signal) => {
        started();
        return new Promise((_resolve, reject) => signal.addEventListener('abort', () => reject(new DeployError('HOOK_INTERRUPTED', 'stopped'))));
      }),
    );
    await withTimeout(running, 10_000, 'the first agent to start the hook');
    stops[0]?.abort();
    expect(await stopping).toMatchObject({ code: 'HOOK_INTERRUPTED' });

    const givenUp = parseOnce((await backend.store.docs.read(onceLockKey('v9')))?.text ?? '', 'lock');
    expect(givenUp?.result).toBeUndefined();
    expect(Date.parse(givenUp?.expiresAt ?? '')).toBeLessThanOrEqual(Date.now());
    const outcome = await settle(runOncePerFleet(agent('i-2'), 'v9', async () => undefined));

    expect(outcome).toBe('ran-here');
  });
});
