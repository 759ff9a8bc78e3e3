import { describeError } from '../errors';
import type { Logger } from '../log/logger';
import type { DesiredState, RolloutPolicy } from '../store/documents';
import type { ReleaseStore, Versioned } from '../store/release-store';
import { revertDesired } from './revert';
import { batchKey, canaryKey, failuresReached, liveKey, pauseKey, recordFailure, readRecord, recordLive, ticketSchema } from './rollout-records';
import { markTicket, releaseTicket, renewTicket, tryTakeTicket, type HeldTicket } from './tickets';

/** A ticket's lease: how long a dead agent's ticket blocks its place in the rollout. Renewed every third of it. */
export const DEFAULT_TICKET_LEASE_MS = 120_000;
/** Batch tickets a waiting agent looks at per poll: all of a small batch, a random few of a big one (bounded cost per poll). */
export const MAX_BATCH_PROBES = 8;

export type Admission =
  /** Deploy `version` now; with a ticket when the policy asked for one. `bootstrap`: lastGood on a new instance. */
  | { readonly kind: 'deploy'; readonly version: string; readonly ticket?: HeldTicket; readonly canary?: boolean; readonly bootstrap?: boolean }
  /** Not this instance's turn (or the rollout is paused, spent, reverted); `reason` says which. */
  | { readonly kind: 'wait'; readonly reason: string };

export type DeployOutcome = { readonly ok: true } | { readonly ok: false; readonly error: string; readonly counts: boolean };

export interface RolloutGateDeps {
  readonly store: Pick<ReleaseStore, 'docs' | 'writeDesired'>;
  readonly instanceId: string;
  readonly log: Logger;
  /** @default DEFAULT_TICKET_LEASE_MS */
  readonly leaseMs?: number;
  readonly now?: () => number;
}

/** What the gate needs to know about this instance. */
export interface InstanceView {
  /** The release running here, null on a new instance. */
  readonly current: string | null;
  /** A version that failed here under this desired.json (not tried again). */
  readonly failedVersion: string | null;
}

/**
 * Agents follow desired.json's rollout policy (DESIGN §7) through the store
 * alone: before a deploy the deployer asks `admit`, after it calls `settle`.
 * A poll of a waiting agent costs a few GETs (pause, the last failure record
 * of the budget, the canary tickets, the batch tickets); no listing.
 */
export class RolloutGate {
  private readonly leaseMs: number;
  private readonly now: () => number;
  private renewTimer: NodeJS.Timeout | undefined;
  /** The ticket as last written by us (renewals change its tag). */
  private held: HeldTicket | undefined;
  private renewing: Promise<void> = Promise.resolve();

  constructor(private readonly deps: RolloutGateDeps) {
    this.leaseMs = deps.leaseMs ?? DEFAULT_TICKET_LEASE_MS;
    this.now = deps.now ?? Date.now;
  }

  async admit(desired: Versioned<DesiredState>, instance: InstanceView): Promise<Admission> {
    const { version, rollout, lastGood } = desired.value;
    if (rollout === undefined) return { kind: 'deploy', version };
    const { docs } = this.deps.store;
    const proven = await this.proven(rollout, version);
    if (!proven && instance.current === null && lastGood !== undefined && lastGood !== version && instance.failedVersion !== lastGood) {
      return { kind: 'deploy', version: lastGood, bootstrap: true };
    }
    if ((await docs.read(pauseKey(rollout.id))) !== undefined) return { kind: 'wait', reason: `rollout ${rollout.id} is paused` };
    if (await failuresReached(docs, rollout.id, rollout.maxFailuresCount)) {
      await this.maybeRevert(desired, `${rollout.maxFailuresCount} instance(s) failed ${version} (--max-failures ${rollout.maxFailures})`);
      return { kind: 'wait', reason: `the failure budget of rollout ${rollout.id} is spent` };
    }
    if (!proven && this.now() > Date.parse(rollout.startedAt) + rollout.deadlineMs && (await docs.read(liveKey(version))) === undefined) {
      await this.maybeRevert(desired, `no instance got ${version} live within the deadline of ${rollout.deadlineMs} ms`);
      return { kind: 'wait', reason: `rollout ${rollout.id} passed its deadline` };
    }
    const request = { holder: this.deps.instanceId, version, leaseMs: this.leaseMs, nowMs: this.now() };
    if (rollout.canary > 0) {
      const stage = await this.canaryStage(rollout, request);
      if (stage.kind !== 'passed') return stage.kind === 'ticket' ? this.admitted(desired, rollout, stage.ticket, true) : { kind: 'wait', reason: stage.reason };
    }
    if (rollout.batchSize === null) return { kind: 'deploy', version };
    for (const index of probeOrder(rollout.batchSize)) {
      const ticket = await tryTakeTicket(docs, batchKey(rollout.id, index), request);
      if (ticket) return this.admitted(desired, rollout, ticket, false);
    }
    return { kind: 'wait', reason: `all ${rollout.batchSize} batch places of rollout ${rollout.id} are taken` };
  }

  /** After the deploy an admission allowed: marks or gives back the ticket, records live or the failure, reverts when the budget is spent. */
  async settle(desired: Versioned<DesiredState>, admission: Admission, outcome: DeployOutcome): Promise<void> {
    this.stopRenewing();
    await this.renewing;
    if (admission.kind !== 'deploy') return;
    const { docs } = this.deps.store;
    const { version } = admission;
    const ticket = admission.ticket ? (this.held ?? admission.ticket) : undefined;
    this.held = undefined;
    const rollout = admission.bootstrap ? undefined : desired.value.rollout;
    try {
      if (outcome.ok) {
        await recordLive(docs, version, this.deps.instanceId, new Date(this.now()));
        if (ticket) await (admission.canary ? markTicket(docs, ticket, 'live', this.now()) : releaseTicket(docs, ticket));
        return;
      }
      if (!outcome.counts) return; // the store failed, not the release: the ticket is ours again on the retry
      // The failure is recorded (and the fleet reverted) BEFORE the ticket is freed: whoever takes
      // the freed ticket re-checks the budget after taking it, and finds this failure.
      if (rollout) {
        const index = await recordFailure(docs, rollout.id, { instanceId: this.deps.instanceId, version, error: outcome.error, at: new Date(this.now()).toISOString() });
        if (index + 1 >= rollout.maxFailuresCount) {
          await this.maybeRevert(desired, `${index + 1} instance(s) failed ${version} (--max-failures ${rollout.maxFailures}); last: ${this.deps.instanceId}: ${outcome.error}`);
        }
      }
      if (ticket) await (admission.canary ? markTicket(docs, ticket, 'failed', this.now(), outcome.error) : releaseTicket(docs, ticket));
    } catch (error) {
      this.deps.log.warn({ version, err: describeError(error) }, 'could not record the end of the deploy in the rollout records');
    }
  }

  /** Stops renewing a ticket (the agent stops). */
  stop(): void {
    this.stopRenewing();
  }

  /**
   * The rollout got past its riskiest part: the canary stage is over, or
   * (without canaries) some instance got the version live.
   */
  private async proven(rollout: RolloutPolicy, version: string): Promise<boolean> {
    const { docs } = this.deps.store;
    if (rollout.canary === 0) return (await docs.read(liveKey(version))) !== undefined;
    for (let index = 0; index < rollout.canary; index++) {
      const record = await readRecord(docs, ticketSchema, canaryKey(rollout.id, index));
      const liveAt = record?.value?.state === 'live' ? record.value.liveAt : undefined;
      if (liveAt === undefined || Date.parse(liveAt) + rollout.bakeMs > this.now()) return false;
    }
    return true;
  }

  private async canaryStage(
    rollout: RolloutPolicy,
    request: { holder: string; version: string; leaseMs: number; nowMs: number },
  ): Promise<{ kind: 'passed' } | { kind: 'ticket'; ticket: HeldTicket } | { kind: 'wait'; reason: string }> {
    const { docs } = this.deps.store;
    let live = 0;
    let baking = false;
    for (let index = 0; index < rollout.canary; index++) {
      const key = canaryKey(rollout.id, index);
      const record = await readRecord(docs, ticketSchema, key);
      const ticket = record?.value;
      if (ticket?.state === 'live') {
        live += 1;
        if (Date.parse(ticket.liveAt ?? ticket.acquiredAt) + rollout.bakeMs > this.now()) baking = true;
        continue;
      }
      const taken = await tryTakeTicket(docs, key, request);
      if (taken) return { kind: 'ticket', ticket: taken };
    }
    if (live < rollout.canary) return { kind: 'wait', reason: `canary stage of rollout ${rollout.id}: ${live}/${rollout.canary} canaries live` };
    if (baking) return { kind: 'wait', reason: `canaries of rollout ${rollout.id} are baking` };
    return { kind: 'passed' };
  }

  /**
   * A ticket taken: the budget is checked once more, since a failure may have
   * been recorded between the first check and the take (a failed holder records
   * its failure before it frees its ticket). Spent: the ticket goes back.
   */
  private async admitted(desired: Versioned<DesiredState>, rollout: RolloutPolicy, ticket: HeldTicket, canary: boolean): Promise<Admission> {
    const { docs } = this.deps.store;
    if (await failuresReached(docs, rollout.id, rollout.maxFailuresCount)) {
      await (canary ? markTicket(docs, ticket, 'failed', this.now(), 'not deployed: the failure budget was spent') : releaseTicket(docs, ticket));
      return { kind: 'wait', reason: `the failure budget of rollout ${rollout.id} is spent` };
    }
    this.startRenewing(ticket);
    return { kind: 'deploy', version: desired.value.version, ticket, canary };
  }

  private startRenewing(first: HeldTicket): void {
    this.stopRenewing();
    this.held = first;
    this.renewTimer = setInterval(() => {
      const held = this.held;
      if (!held) return;
      this.renewing = renewTicket(this.deps.store.docs, held, this.leaseMs, this.now())
        .then((next) => {
          if (next) this.held = next;
        })
        .catch(() => undefined); // the next renewal tries again; the lease is three renewals long
    }, Math.max(1_000, Math.floor(this.leaseMs / 3)));
    this.renewTimer.unref();
  }

  private stopRenewing(): void {
    if (this.renewTimer) clearInterval(this.renewTimer);
    this.renewTimer = undefined;
  }

  private async maybeRevert(desired: Versioned<DesiredState>, reason: string): Promise<void> {
    const rollout = desired.value.rollout;
    if (!rollout?.revert) return;
    const outcome = await revertDesired(this.deps.store, desired, reason, `deploy-agent on ${this.deps.instanceId}`);
    if (outcome.kind === 'reverted') this.deps.log.warn({ version: desired.value.version, revertedTo: outcome.to, reason }, `reverted the fleet from ${desired.value.version} to ${outcome.to}: ${reason}`);
  }
}

/** The batch ticket indexes to look at on one poll: every one of a small batch, else MAX_BATCH_PROBES distinct random ones. */
export function probeOrder(batchSize: number, random: () => number = Math.random): number[] {
  const all = Array.from({ length: batchSize }, (_, i) => i);
  if (batchSize <= MAX_BATCH_PROBES) return all;
  for (let i = 0; i < MAX_BATCH_PROBES; i++) {
    const j = i + Math.floor(random() * (batchSize - i));
    [all[i], all[j]] = [all[j] as number, all[i] as number];
  }
  return all.slice(0, MAX_BATCH_PROBES);
}
