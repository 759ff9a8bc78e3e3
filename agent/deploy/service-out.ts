import type { Release } from '../cluster/managed-worker';
import type { Supervisor } from '../cluster/supervisor';
import { DeployError, describeError } from '../errors';
import type { Logger } from '../log/logger';
import type { ServiceTraffic } from '../traffic/service-traffic';
import type { DeployState } from './deploy-state';
import { rollFailed } from './roll-failed';
import type { HeldServiceSlot, SlotGate } from './service-out-slot';

export interface ServiceOutDeps {
  readonly traffic: ServiceTraffic;
  readonly slots: SlotGate;
  readonly supervisor: Supervisor;
  readonly log: Logger;
  /** Moves the deploy's state machine (state.json, status report). */
  readonly step: (next: DeployState) => Promise<void>;
  /** The app's health check (app.healthCheck); throws when it fails. */
  readonly validate: () => Promise<void>;
  /** New workers at once during the roll (loadBalancer.maxSurge); undefined: all of them. */
  readonly maxSurge: number | undefined;
  /** Fires when the agent stops: waits end, nothing is rolled back (the stop deregisters). */
  readonly signal: AbortSignal;
}

/**
 * A service-out deploy (DESIGN §2, §4), from an unpacked release to `idle`:
 *
 *   take a slot → draining (DeregisterTargets everywhere, wait until drained)
 *   → rolling (replace every worker; no traffic, so all at once by default)
 *   → validating (health check) → registering (RegisterTargets, wait healthy)
 *   → give the slot back.
 *
 * A slot lost meanwhile (slot.lost): while draining, the drain ends at once
 * and the deploy fails with SLOT_LOST, putting the old workers back in
 * service; once workers are being replaced, the roll (no traffic) finishes
 * and the instance goes on to validate and register, which is putting it back.
 *
 * Any failure: rolling-back (previous release, register again, wait healthy),
 * the slot given back, and the error rethrown for the deployer to record; when
 * the instance cannot be registered again, the slot is kept (and renewed)
 * until the agent registers it at a later poll. An instance with nothing running yet
 * takes no slot: it is not in service.
 */
export async function deployServiceOut(deps: ServiceOutDeps, release: Release, previous: Release | undefined): Promise<void> {
  if (!deps.supervisor.running) return firstStart(deps, release);
  const { supervisor, traffic, signal } = deps;
  const slot = await deps.slots.take(release.version, signal);
  const { id, port } = traffic.target;
  const sayLost = (): void =>
    deps.log.warn({ slot: slot.key, code: 'SLOT_LOST' }, `service-out slot ${slot.key} lost during the deploy of ${release.version}: putting ${id}:${port} back in service as soon as it is safe`);
  slot.lost.addEventListener('abort', sayLost, { once: true });
  try {
    await deps.step('draining');
    await drain(deps, slot, release.version);
    await deps.step('rolling');
    const result = await supervisor.roll(release, { maxSurge: deps.maxSurge ?? supervisor.options.workers });
    if (!result.ok) throw rollFailed(result);
    deps.log.info({ step: 'rolling', rollMs: result.rollMs }, `workers replaced with ${release.version}`);
    await deps.step('validating');
    await deps.validate();
    await deps.step('registering');
    await traffic.putBack({ signal });
  } catch (error) {
    await recover(deps, previous, error);
    throw error;
  } finally {
    slot.lost.removeEventListener('abort', sayLost);
    // Out of service still (a failed put-back): the slot keeps counting this instance until the
    // agent registers it again between deploys (LoadBalancerMembership.registerOnce). A stopping
    // agent gives it back: its stop deregisters, and a stopped instance must not hold the fleet up.
    // A lost slot is no longer ours to give back or keep.
    if (slot.lost.aborted) deps.log.warn({ slot: slot.key }, `service-out slot ${slot.key} was lost; not giving it back (another instance holds it)`);
    else if (traffic.inService || signal.aborted) await slot.release();
    else slot.keep();
  }
}

/**
 * Takes the instance out and waits until drained. A slot lost meanwhile ends
 * the wait at once and fails the deploy with SLOT_LOST before any worker is
 * replaced: the old workers still run, so the instance goes straight back
 * into service (recover) and the deploy is tried again (retry-backoff.ts).
 */
async function drain(deps: ServiceOutDeps, slot: HeldServiceSlot, version: string): Promise<void> {
  try {
    await deps.traffic.takeOut({ signal: AbortSignal.any([deps.signal, slot.lost]) });
  } catch (error) {
    if (!slot.lost.aborted || deps.signal.aborted) throw error;
  }
  if (slot.lost.aborted) {
    const reason: unknown = slot.lost.reason;
    throw new DeployError(
      'SLOT_LOST',
      `lost service-out slot ${slot.key} while draining for ${version} (${describeError(reason)}); put back in service with the old workers, the deploy is tried again`,
      { cause: reason },
    );
  }
}

/** Nothing served here yet: start, check, register. */
async function firstStart(deps: ServiceOutDeps, release: Release): Promise<void> {
  await deps.step('rolling');
  await deps.supervisor.start(release);
  deps.log.info({ step: 'rolling' }, `workers started on ${release.version}`);
  await deps.step('validating');
  await deps.validate();
  await deps.step('registering');
  await deps.traffic.putBack({ signal: deps.signal });
}

/** Back to the previous release and back in service; never throws (the deploy's own error is what counts). */
async function recover(deps: ServiceOutDeps, previous: Release | undefined, error: unknown): Promise<void> {
  const { supervisor, traffic, log } = deps;
  const { id, port } = traffic.target;
  if (deps.signal.aborted) {
    log.warn({ err: describeError(error) }, 'service-out deploy stopped: the agent is stopping (it deregisters on its way out)');
    return;
  }
  await deps.step('rolling-back');
  log.warn({ step: 'rolling-back', err: describeError(error) }, `service-out deploy failed; rolling back and putting ${id}:${port} back in service`);
  try {
    if (previous && supervisor.running && supervisor.version !== previous.version) {
      const back = await supervisor.roll(previous, { maxSurge: deps.maxSurge ?? supervisor.options.workers });
      if (!back.ok) log.error({ err: back.failure?.message }, `rollback to ${previous.version} failed too`);
    }
    traffic.resumeWorkers();
    await traffic.putBack({ signal: deps.signal });
  } catch (putBackError) {
    log.error(
      { err: describeError(putBackError) },
      `${id}:${port} is NOT back in service after the failed deploy: ${describeError(putBackError)}; trying again at the next poll`,
    );
  }
}
