import { PassThrough } from 'node:stream';
import { createLogger } from '../../../../agent/log/logger';
import { readHistory } from '../../../../agent/rollout/history';
import { revertDesired } from '../../../../agent/rollout/revert';
import { RolloutGate, type Admission } from '../../../../agent/rollout/rollout-gate';
import { batchKey, listFailures, listLive, pauseKey } from '../../../../agent/rollout/rollout-records';
import type { DesiredState, RolloutPolicy } from '../../../../agent/store/documents';
import type { ReleaseStore, Versioned } from '../../../../agent/store/release-store';
import { waitUntil, withTimeout } from '../../../support/with-timeout';
import { backends, type Backend } from '../store/store-backends';

const RACERS = 12;

function policy(overrides: Partial<RolloutPolicy> = {}): RolloutPolicy {
  return {
    id: `r-${Math.random().toString(16).slice(2, 10)}`,
    canary: 0,
    batch: '2',
    batchSize: 2,
    bakeMs: 0,
    maxFailures: '1',
    maxFailuresCount: 1,
    deadlineMs: 30 * 60_000,
    revert: true,
    startedAt: new Date().toISOString(),
    ...overrides,
  };
}

async function desire(store: ReleaseStore, rollout: RolloutPolicy | undefined, extra: Partial<DesiredState> = {}): Promise<Versioned<DesiredState>> {
  await store.writeDesired({ version: 'v2', strategy: 'rolling', updatedAt: new Date().toISOString(), previous: 'v1', lastGood: 'v1', ...(rollout ? { rollout } : {}), ...extra });
  const read = await store.readDesired();
  if (!read) throw new Error('desired.json was not written');
  return read;
}

function gates(store: ReleaseStore, n: number, leaseMs = 60_000): RolloutGate[] {
  const log = createLogger(new PassThrough(), 'silent');
  return Array.from({ length: n }, (_, i) => new RolloutGate({ store, instanceId: `i-${String(i).padStart(2, '0')}`, log, leaseMs }));
}

const running = { current: 'v1', failedVersion: null } as const;
const deploys = (admissions: Admission[]) => admissions.filter((a) => a.kind === 'deploy');

/** The rollout protocol (DESIGN §7) over every store backend: what racing agents may and may not do. */
describe.each(backends)('rollout protocol: %s', (_name, makeBackend) => {
  let backend: Backend;
  let store: ReleaseStore;
  let all: RolloutGate[] = [];
  beforeEach(async () => {
    backend = await makeBackend();
    store = backend.store;
  });
  afterEach(async () => {
    for (const gate of all) gate.stop();
    all = [];
    await backend.cleanup();
  });

  it('of 12 racers creating one document exactly one wins, and of 12 replacing one tag exactly one wins', async () => {
    const created = await Promise.all(Array.from({ length: RACERS }, (_, i) => store.docs.create('rollouts/x/doc.json', `{"n":${i}}`)));
    expect(created.filter((tag) => tag !== undefined)).toHaveLength(1);
    const read = await store.docs.read('rollouts/x/doc.json');
    const replaced = await Promise.all(Array.from({ length: RACERS }, (_, i) => store.docs.replace('rollouts/x/doc.json', read?.etag ?? '', `{"m":${i}}`)));
    expect(replaced.filter((tag) => tag !== undefined)).toHaveLength(1);
    await expect(store.docs.list('rollouts/x/')).resolves.toEqual(['doc.json']);
  });

  it('removes a document only while its tag is the one read', async () => {
    const first = await store.docs.create('rollouts/x/pause.json', '{"n":1}');
    const second = await store.docs.replace('rollouts/x/pause.json', first ?? '', '{"n":2}');
    await expect(store.docs.remove('rollouts/x/pause.json', first ?? '')).resolves.toBe(false);
    await expect(store.docs.remove('rollouts/x/pause.json', second ?? '')).resolves.toBe(true);
    await expect(store.docs.read('rollouts/x/pause.json')).resolves.toBeUndefined();
    await expect(store.docs.list('rollouts/x/')).resolves.toEqual([]);
  });

  it('a rollout with no instance live within its deadline is reverted', async () => {
    const desired = await desire(store, policy({ deadlineMs: 1_000, startedAt: new Date(Date.now() - 5_000).toISOString() }));
    all = gates(store, 1);
    await expect(all[0]?.admit(desired, running)).resolves.toMatchObject({ kind: 'wait', reason: expect.stringMatching(/passed its deadline/) });
    expect((await store.readDesired())?.value).toMatchObject({ version: 'v1', revertedFrom: 'v2', revertReason: 'no instance got v2 live within the deadline of 1000 ms' });
  });

  it('12 racers never exceed a batch of 2, and every one of them gets its turn', async () => {
    const desired = await desire(store, policy({ batch: '2', batchSize: 2 }));
    all = gates(store, RACERS);
    // All at once: exactly the batch gets in.
    const firstRound = await Promise.all(all.map((gate) => gate.admit(desired, running)));
    expect(deploys(firstRound)).toHaveLength(2);
    await Promise.all(all.map((gate, i) => gate.settle(desired, firstRound[i] as Admission, { ok: true })));
    let deploying = 0;
    let most = 0;
    const done = new Set<number>();
    await withTimeout(
      Promise.all(
        all.map(async (gate, i) => {
          if (firstRound[i]?.kind === 'deploy') {
            done.add(i);
            return;
          }
          for (;;) {
            const admission = await gate.admit(desired, running);
            if (admission.kind === 'deploy') {
              deploying += 1;
              most = Math.max(most, deploying);
              await new Promise((resolve) => setTimeout(resolve, 5 + (i % 3) * 5));
              deploying -= 1;
              await gate.settle(desired, admission, { ok: true });
              done.add(i);
              return;
            }
            await new Promise((resolve) => setTimeout(resolve, 10));
          }
        }),
      ),
      60_000,
      'all 12 racers to deploy through a batch of 2',
    );
    expect(most).toBeLessThanOrEqual(2);
    expect(most).toBeGreaterThan(0);
    expect(done.size).toBe(RACERS);
    expect((await listLive(store.docs)).map((r) => r.version)).toEqual(['v2']);
  });

  it('with --canary 1, exactly one of 12 racers takes the version until the canary is live and baked', async () => {
    const desired = await desire(store, policy({ canary: 1, bakeMs: 4_000, batchSize: null, batch: '100%' }));
    all = gates(store, RACERS);
    const first = await Promise.all(all.map((gate) => gate.admit(desired, running)));
    const canaries = deploys(first);
    expect(canaries).toHaveLength(1);
    const canaryGate = all[first.indexOf(canaries[0] as Admission)] as RolloutGate;
    await canaryGate.settle(desired, canaries[0] as Admission, { ok: true });
    const baking = await Promise.all(all.map((gate) => gate.admit(desired, running)));
    expect(baking.filter((a) => a.kind === 'wait' && /baking/.test(a.reason)).length).toBeGreaterThan(0);
    await waitUntil(async () => (await all[0]?.admit(desired, running))?.kind === 'deploy', 20_000, 'the bake of 4 s to pass', 200);
  });

  it('a revert race has exactly one winner, and desired.json names lastGood, revertedFrom and the reason', async () => {
    const rollout = policy();
    const desired = await desire(store, rollout);
    const outcomes = await Promise.all(Array.from({ length: RACERS }, (_, i) => revertDesired(store, desired, `racer ${i}`, `i-${i}`)));
    expect(outcomes.filter((o) => o.kind === 'reverted')).toHaveLength(1);
    expect(outcomes.filter((o) => o.kind === 'lost')).toHaveLength(RACERS - 1);
    const now = await store.readDesired();
    expect(now?.value).toMatchObject({ version: 'v1', previous: 'v2', lastGood: 'v1', revertedFrom: 'v2', revertedRollout: rollout.id, revertReason: expect.stringMatching(/^racer \d+$/) });
    expect(now?.value.rollout).toBeUndefined();
    expect((await readHistory(store.docs)).map((h) => h.kind)).toEqual(['revert']);
  });

  it('a failed deploy spends a budget of 1: nobody starts the version any more and the fleet is reverted once', async () => {
    const desired = await desire(store, policy({ batch: '100%', batchSize: null }));
    all = gates(store, 3);
    const [a, b] = all as [RolloutGate, RolloutGate];
    const admission = await a.admit(desired, running);
    expect(admission.kind).toBe('deploy');
    await a.settle(desired, admission, { ok: false, error: 'ROLL_FAILED: worker exited 1', counts: true });
    expect((await listFailures(store.docs, desired.value.rollout?.id ?? '')).map((f) => f.instanceId)).toEqual(['i-00']);
    expect((await store.readDesired())?.value).toMatchObject({ version: 'v1', revertedFrom: 'v2' });
    // An agent still holding the old desired.json is refused too: the budget is spent.
    await expect(b.admit(desired, running)).resolves.toMatchObject({ kind: 'wait', reason: expect.stringMatching(/budget/) });
  });

  it('a dead agent’s batch ticket is taken over once its lease expired, not before', async () => {
    const desired = await desire(store, policy({ batch: '1', batchSize: 1 }));
    all = gates(store, 2, 400);
    const [dead, next] = all as [RolloutGate, RolloutGate];
    expect((await dead.admit(desired, running)).kind).toBe('deploy');
    dead.stop(); // it dies: no renewal, no settle
    await expect(next.admit(desired, running)).resolves.toMatchObject({ kind: 'wait' });
    await waitUntil(async () => (await next.admit(desired, running)).kind === 'deploy', 10_000, 'the dead ticket of 400 ms to expire and be taken over');
    const ticket = await store.docs.read(batchKey(desired.value.rollout?.id ?? '', 0));
    expect(ticket?.text).toContain('"holder": "i-01"');
  });

  it('while paused nobody starts, and a new instance starts on lastGood while the rollout is unproven', async () => {
    const rollout = policy({ canary: 1 });
    const desired = await desire(store, rollout);
    all = gates(store, 1);
    const [gate] = all as [RolloutGate];
    await expect(gate.admit(desired, { current: null, failedVersion: null })).resolves.toEqual({ kind: 'deploy', version: 'v1', bootstrap: true });
    await store.docs.create(pauseKey(rollout.id), JSON.stringify({ by: 'test', at: new Date().toISOString(), nonce: 'n' }));
    await expect(gate.admit(desired, running)).resolves.toMatchObject({ kind: 'wait', reason: expect.stringMatching(/paused/) });
  });

  it('a push without a rollout policy lets every instance deploy at once', async () => {
    const desired = await desire(store, undefined);
    all = gates(store, RACERS);
    expect(deploys(await Promise.all(all.map((gate) => gate.admit(desired, running))))).toHaveLength(RACERS);
  });
});
