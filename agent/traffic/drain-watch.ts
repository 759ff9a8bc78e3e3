import { describeError } from '../errors';
import { abortableDelay } from '../lifecycle/abortable-delay';
import type { Logger } from '../log/logger';
import type { OpenConnectionCount, OpenConnections } from './open-connections';
import { describeTargetHealth, goneEverywhere, leavingEverywhere } from './target-health';
import type { TargetHealth, TargetRegistry } from './target-registry';

/** How a drain ended. */
export type DrainEnd =
  /** Early drain: every target group took the deregistration in and no connection was left open for `quietMs`. */
  | 'no-connections'
  /** Every target group reports the target gone (`unused`): the deregistration delay is over. */
  | 'target-gone'
  /** Neither within the drain timeout: the ALB cuts what is left when its delay ends. */
  | 'timeout';

/**
 * When a deregistered instance has drained (pure; waitUntilDrained feeds it).
 * The ALB saying the target is gone always ends it. With early drain, so does
 * "no connection open on the app port for `quietMs`", counted only from the
 * moment every target group reports the target draining (or gone), so that
 * a connection the ALB opened before it took the deregistration in is seen.
 */
export class DrainProgress {
  private leavingSince: number | undefined;
  private quietSince: number | undefined;
  private gone = false;

  constructor(private readonly options: { readonly early: boolean; readonly quietMs: number }) {}

  observeTargets(health: readonly TargetHealth[], now: number): void {
    this.gone = goneEverywhere(health);
    if (this.leavingSince === undefined && leavingEverywhere(health)) this.leavingSince = now;
  }

  observeConnections(open: number | undefined, now: number): void {
    if (open === 0) this.quietSince ??= now;
    else this.quietSince = undefined;
  }

  verdict(now: number): Exclude<DrainEnd, 'timeout'> | undefined {
    if (this.gone) return 'target-gone';
    if (!this.options.early || this.leavingSince === undefined || this.quietSince === undefined) return undefined;
    return now - Math.max(this.quietSince, this.leavingSince) >= this.options.quietMs ? 'no-connections' : undefined;
  }
}

export interface DrainWaitOptions {
  readonly registry: Pick<TargetRegistry, 'describe'>;
  /** Early drain: how to count open connections; undefined waits for the ALB alone. */
  readonly openConnections: OpenConnections | undefined;
  readonly quietMs: number;
  /** Between two DescribeTargetHealth calls. */
  readonly pollIntervalMs: number;
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
  readonly log: Logger;
}

export interface DrainResult {
  readonly end: DrainEnd;
  readonly drainMs: number;
  /** The last count of open connections (undefined: none taken or nobody could tell). */
  readonly lastOpen: OpenConnectionCount | undefined;
}

/** Connections are counted this often (a local question, cheap). */
const CONNECTION_POLL_MS = 100;

/**
 * After DeregisterTargets: resolves once the instance has drained (see
 * DrainProgress) or `timeoutMs` has passed. Rejects only with ABORTED. A
 * failing DescribeTargetHealth is logged and asked again at the next poll.
 */
export async function waitUntilDrained(options: DrainWaitOptions): Promise<DrainResult> {
  const { registry, openConnections, log } = options;
  const progress = new DrainProgress({ early: openConnections !== undefined, quietMs: options.quietMs });
  const startedAt = Date.now();
  const deadline = startedAt + options.timeoutMs;
  let nextDescribe = startedAt;
  let lastOpen: OpenConnectionCount | undefined;
  let problem: string | undefined;
  let seen = '';
  for (;;) {
    const now = Date.now();
    if (now >= nextDescribe) {
      nextDescribe = now + options.pollIntervalMs;
      try {
        const health = await registry.describe();
        progress.observeTargets(health, Date.now());
        const said = describeTargetHealth(health);
        if (said !== seen) log.info({ targets: said }, `draining: ${said}`);
        seen = said;
        problem = undefined;
      } catch (error) {
        if (describeError(error) !== problem) log.warn({ err: describeError(error) }, 'draining: cannot read the target health; asking again');
        problem = describeError(error);
      }
    }
    if (openConnections) {
      lastOpen = await openConnections();
      progress.observeConnections(lastOpen?.open, Date.now());
    }
    const end = progress.verdict(Date.now());
    if (end) return { end, drainMs: Date.now() - startedAt, lastOpen };
    const remaining = deadline - Date.now();
    if (remaining <= 0) return { end: 'timeout', drainMs: Date.now() - startedAt, lastOpen };
    const untilDescribe = Math.max(0, nextDescribe - Date.now());
    await abortableDelay(Math.min(remaining, openConnections ? CONNECTION_POLL_MS : untilDescribe), options.signal, 'draining');
  }
}
