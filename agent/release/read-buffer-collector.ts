/**
 * Has V8 collect its young generation after every few MiB of artifact read, so the read buffers
 * an HTTP body (or a file stream) leaves behind are freed as it goes instead of piling up.
 *
 * Node's HTTP client reads a socket into a fresh ArrayBuffer of up to 64 KiB each time; once the
 * body chunk is hashed and handed on, that buffer is dead, but no code of ours owns it (so
 * spent-buffers.ts cannot free it), and only a collection that finds it dead frees it. Node 20's
 * and 22's V8 run a cheap young-generation collection ("external memory pressure") every few MB
 * of such buffers; Node 24's starts marking the whole heap only after ~64 MB. A plain `http.get`
 * of 300 MB peaked at 75-83 MB of ArrayBuffers and 128-142 MB of RSS on Node 24 (34 MB of
 * ArrayBuffers on Node 20 and 22); with a minor collection after every 4 MiB, at 16 MB and
 * 76 MB, and in less time (71 collections of ~0.2 ms each).
 *
 * The agent runs with `--expose-gc` (AGENT_NODE_FLAGS) for this. Where `gc` is not exposed (a
 * library user's process), nothing is collected here and V8 frees the buffers as before.
 */

/** Runs one young-generation collection. */
export type MinorGc = () => void;

/** Artifact bytes between collections. */
const COLLECT_EVERY_BYTES = 4 * 1024 * 1024;

/** V8's minor collection when the process runs with `--expose-gc`; otherwise undefined. */
export function exposedMinorGc(): MinorGc | undefined {
  const gc = globalThis.gc;
  if (gc === undefined) return undefined;
  return () => gc({ type: 'minor' });
}

/**
 * Counts the artifact bytes read and runs `collect` each time they pass another `everyBytes`
 * (once, however many thresholds one chunk passes); does nothing when `collect` is undefined.
 */
export class ReadBufferCollector {
  #nextAtBytes: number;

  constructor(
    private readonly collect: MinorGc | undefined,
    private readonly everyBytes: number = COLLECT_EVERY_BYTES,
  ) {
    if (!Number.isSafeInteger(everyBytes) || everyBytes < 1) throw new RangeError(`everyBytes must be a positive integer, got ${everyBytes}`);
    this.#nextAtBytes = everyBytes;
  }

  /** `bytesRead` of the artifact have been read so far. */
  onBytesRead(bytesRead: number): void {
    if (this.collect === undefined || bytesRead < this.#nextAtBytes) return;
    this.#nextAtBytes = (Math.floor(bytesRead / this.everyBytes) + 1) * this.everyBytes;
    this.collect();
  }
}
