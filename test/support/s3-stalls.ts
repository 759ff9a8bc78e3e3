import type { ServerResponse } from 'node:http';
import type { SeenRequest } from './s3-server';

/** A held request of the S3 test server (see `S3Server.stall`). */
export interface Stall {
  /** Resolves once the request is held (its first `afterBytes` handed out). */
  readonly reached: Promise<void>;
  /** Lets the request go on. Idempotent. */
  release(): void;
}

/** A stall as the server keeps it: what it matches, where it holds, the gate it waits on. */
export interface PendingStall extends Stall {
  readonly match: (request: SeenRequest) => boolean;
  /** Hold after this many bytes of the answer's body; undefined: before the answer. */
  readonly afterBytes: number | undefined;
  readonly gate: Promise<void>;
  arrive(): void;
}

/** The stalls of one server: each holds the first request it matches; `releaseAll` ends them all. */
export class StallQueue {
  private waiting: PendingStall[] = [];
  private readonly all = new Set<PendingStall>();

  add(match: (request: SeenRequest) => boolean, afterBytes: number | undefined): PendingStall {
    let arrive: () => void = () => undefined;
    let release: () => void = () => undefined;
    const reached = new Promise<void>((resolve) => (arrive = resolve));
    const gate = new Promise<void>((resolve) => (release = resolve));
    const stall: PendingStall = { match, afterBytes, reached, gate, arrive: () => arrive(), release: () => release() };
    this.waiting.push(stall);
    this.all.add(stall);
    return stall;
  }

  /** The stall that holds `request`, if one matches (it is used up). */
  take(request: SeenRequest): PendingStall | undefined {
    const stall = this.waiting.find((candidate) => candidate.match(request));
    if (stall !== undefined) this.waiting = this.waiting.filter((candidate) => candidate !== stall);
    return stall;
  }

  releaseAll(): void {
    for (const stall of this.all) stall.release();
    this.all.clear();
    this.waiting = [];
  }
}

/** What the server answered internally to a request that a stall holds part-way through its body. */
export interface InternalAnswer {
  readonly statusCode: number;
  readonly headers: Record<string, unknown>;
  readonly rawPayload: Buffer;
}

/** Headers of the internal answer that belong to its connection, not to the answer. */
const HOP_BY_HOP = ['connection', 'keep-alive', 'date', 'transfer-encoding'];

/**
 * Writes `answer` on `raw` (a response taken over from the framework): the
 * headers and the first `afterBytes` of the body at once, the rest once the
 * stall is released (unless the connection is gone by then).
 */
export function sendStalled(raw: ServerResponse, answer: InternalAnswer, stall: PendingStall, afterBytes: number): void {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(answer.headers)) {
    if (!HOP_BY_HOP.includes(name) && value !== undefined) headers[name] = String(value);
  }
  raw.writeHead(answer.statusCode, headers);
  raw.write(answer.rawPayload.subarray(0, afterBytes), () => stall.arrive());
  void stall.gate.then(() => {
    if (!raw.destroyed) raw.end(answer.rawPayload.subarray(afterBytes));
  });
}
