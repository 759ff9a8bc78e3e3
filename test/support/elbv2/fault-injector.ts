import { Elbv2ApiError } from './api-error';
import { Outage, type ApiOutage, type OutageSpec } from './api-outage';

/** Faults for the next matching API requests. Throttles come first, then server errors. */
export interface FaultSpec {
  /** Only requests with this `Action` are hit. @default every action */
  readonly action?: string;
  /** How many requests get `400 Throttling` ("Rate exceeded"), which the SDK retries. @default 0 */
  readonly throttle?: number;
  /** How many requests get a server error, which the SDK retries. @default 0 */
  readonly serverError?: number;
  /** The server error's status: 500 `InternalFailure` or 503 `ServiceUnavailable`. @default 500 */
  readonly serverErrorStatus?: 500 | 503;
}

interface Pending {
  readonly action: string | undefined;
  readonly make: () => Elbv2ApiError;
  remaining: number;
}

const throttling = (): Elbv2ApiError => new Elbv2ApiError('Throttling', 'Rate exceeded', 400, 'Sender');

const serverError = (status: 500 | 503) => (): Elbv2ApiError =>
  status === 503
    ? new Elbv2ApiError('ServiceUnavailable', 'The request has failed due to a temporary failure of the server.', 503)
    : new Elbv2ApiError(
        'InternalFailure',
        'The request processing has failed because of an unknown error, exception or failure.',
        500,
      );

/** A queue of injected faults, consumed in order by the requests they match; outages come first. */
export class FaultInjector {
  private readonly pending: Pending[] = [];
  private outages: Outage[] = [];

  /** Fails every request for a while (see OutageSpec). */
  startOutage(spec: OutageSpec): ApiOutage {
    const outage = new Outage(spec);
    this.outages.push(outage);
    return outage;
  }

  inject(spec: FaultSpec): void {
    const counts = [spec.throttle ?? 0, spec.serverError ?? 0];
    if (counts.some((n) => !Number.isInteger(n) || n < 0)) {
      throw new Error('injectFaults: counts must be non-negative integers');
    }
    const action = spec.action;
    if (spec.throttle) this.pending.push({ action, make: throttling, remaining: spec.throttle });
    if (spec.serverError) {
      this.pending.push({ action, make: serverError(spec.serverErrorStatus ?? 500), remaining: spec.serverError });
    }
  }

  /** The fault for a request with this action, if one is pending (and consumes it). */
  take(action: string): Elbv2ApiError | undefined {
    this.outages = this.outages.filter((o) => !o.over);
    for (const outage of this.outages) {
      const failure = outage.take(action, Date.now());
      if (failure) return failure;
    }
    const index = this.pending.findIndex((p) => p.action === undefined || p.action === action);
    const entry = this.pending[index];
    if (!entry) return undefined;
    entry.remaining -= 1;
    if (entry.remaining === 0) this.pending.splice(index, 1);
    return entry.make();
  }
}
