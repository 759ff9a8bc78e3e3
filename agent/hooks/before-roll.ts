import type { Logger } from '../log/logger';
import type { DeployHooks } from './deploy-hooks';

export interface BeforeRollContext {
  /** Versions whose current unpack on this instance ran `prepare` (state.json `prepared`). */
  readonly prepared: readonly string[];
  /** The release was unpacked by this deploy (a fresh dir: prepare runs whatever was recorded). */
  readonly unpackedNow: boolean;
  readonly log: Logger;
  /** Moves the deploy to `preparing` (only when a hook runs). */
  readonly enter: () => Promise<void>;
  /** Told the new `prepared` list (at most the last 20) as soon as `prepare` succeeded, before `once`. */
  readonly recordPrepared: (prepared: string[]) => void;
}

/**
 * The hooks before any worker changes (DESIGN §8): `prepare` on this instance,
 * unless this very unpack was prepared before (a rollback to it), then `once`
 * for the fleet; both in the `preparing` step, which a release without them
 * never enters.
 */
export async function runBeforeRoll(hooks: DeployHooks, context: BeforeRollContext): Promise<void> {
  const version = hooks.version;
  const prepare = hooks.has('prepare') && (context.unpackedNow || !context.prepared.includes(version));
  if (hooks.has('prepare') && !prepare) context.log.info({ hook: 'prepare' }, `${version} was prepared before; not running prepare again`);
  if (!prepare && !hooks.has('once')) return;
  await context.enter();
  if (prepare) {
    await hooks.run('prepare');
    context.recordPrepared([...context.prepared.filter((v) => v !== version), version].slice(-20));
  }
  await hooks.once();
}
