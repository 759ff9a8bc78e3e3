import { Elbv2ApiError } from './api-error';

/** A stretch of time in which the API fails every request (see Elbv2Emulator.startOutage). */
export interface OutageSpec {
  /** How long it lasts, from its first failed request. */
  readonly forMs: number;
  /** It begins with the first request for this `Action` (e.g. a deploy's RegisterTargets). @default the next request */
  readonly beginsWith?: string;
}

/** What a test learns of an outage. */
export interface ApiOutage {
  /** Resolves with its first failed request's time (ms since the epoch). */
  readonly began: Promise<number>;
  /** When it ends (ms since the epoch); undefined until it began. */
  readonly endsAt: number | undefined;
}

/**
 * The answers of an outage, in turn: `400 Throttling`, `500 InternalFailure`,
 * `503 ServiceUnavailable` (every one of them retried by the SDK), so each
 * call sees both throttling and server errors.
 */
const ANSWERS: ReadonlyArray<() => Elbv2ApiError> = [
  () => new Elbv2ApiError('Throttling', 'Rate exceeded', 400, 'Sender'),
  () => new Elbv2ApiError('InternalFailure', 'The request processing has failed because of an unknown error, exception or failure.', 500),
  () => new Elbv2ApiError('ServiceUnavailable', 'The request has failed due to a temporary failure of the server.', 503),
];

/** One outage: armed, then failing every request from its first one until `forMs` later. */
export class Outage implements ApiOutage {
  readonly began: Promise<number>;
  private beganAt: number | undefined;
  private answered = 0;
  private resolveBegan: (at: number) => void = () => undefined;

  constructor(private readonly spec: OutageSpec) {
    if (!Number.isFinite(spec.forMs) || spec.forMs <= 0) throw new Error('startOutage: forMs must be a positive number of milliseconds');
    this.began = new Promise((resolve) => (this.resolveBegan = resolve));
  }

  get endsAt(): number | undefined {
    return this.beganAt === undefined ? undefined : this.beganAt + this.spec.forMs;
  }

  /** True once it is over: it no longer fails anything. */
  get over(): boolean {
    return this.beganAt !== undefined && Date.now() >= this.beganAt + this.spec.forMs;
  }

  /** The failure for a request with this action at `now`, if the outage covers it. */
  take(action: string, now: number): Elbv2ApiError | undefined {
    if (this.beganAt === undefined) {
      if (this.spec.beginsWith !== undefined && this.spec.beginsWith !== action) return undefined;
      this.beganAt = now;
      this.resolveBegan(now);
    }
    if (now >= this.beganAt + this.spec.forMs) return undefined;
    const answer = ANSWERS[this.answered % ANSWERS.length];
    this.answered += 1;
    return answer?.();
  }
}
