/**
 * Feeds tar bytes to a tar reader (the agent's TarReader, or node-tar's Parser behind the same
 * API: node-tar-reader.ts) and records what it reported as a plain event list, so two readers
 * are equivalent on an archive when their lists are equal. Recording stops at the first error.
 */
import { createHash, type Hash } from 'node:crypto';
import type { TarEntryHeader, TarReaderHandlers } from '../../../agent/release/tar/tar-reader';

export type { TarEntryHeader, TarReaderHandlers };

export type TarEvent =
  /** Every field of the header but `meta` (a meta header is never an entry). */
  | ({ readonly event: 'entry' } & Omit<TarEntryHeader, 'meta'>)
  /** The entry's data is complete: how many bytes it had, and their sha256. */
  | { readonly event: 'end'; readonly bytes: number; readonly sha256: string }
  | { readonly event: 'ignored'; readonly path: string; readonly type: string; readonly meta: boolean }
  | { readonly event: 'eof' }
  /** The reader refused the archive (a thrown error carrying a string `code`). */
  | { readonly event: 'error'; readonly code: string; readonly message: string }
  /** Something no reader may do: a throw without a code, data outside an entry, an event after eof. */
  | { readonly event: 'broken'; readonly what: string };

/** The TarReader API (agent/release/tar/tar-reader.ts), as both readers offer it. */
export interface TarReaderLike {
  write(chunk: Buffer): void;
  end(): void;
}

export type TarReaderFactory = (options: {
  readonly handlers: TarReaderHandlers;
  readonly maxMetaEntryBytes: number;
}) => TarReaderLike;

/**
 * Runs `tar` through a reader made by `factory`, written in pieces of `chunkSizes` (cycled; the
 * last piece is whatever remains), then ended. Never throws: a refusal is the last event.
 */
export function recordEvents(
  factory: TarReaderFactory,
  tar: Buffer,
  chunkSizes: readonly number[],
  maxMetaEntryBytes: number,
): TarEvent[] {
  const events: TarEvent[] = [];
  let open: { hash: Hash; bytes: number; size: number } | undefined;
  let sawEof = false;
  const broken = (what: string): void => {
    events.push({ event: 'broken', what });
  };
  const handlers: TarReaderHandlers = {
    entry(header: TarEntryHeader) {
      if (open !== undefined) broken(`entry ${header.path} before the previous entry ended`);
      if (sawEof) broken(`entry ${header.path} after eof`);
      events.push({
        event: 'entry',
        path: header.path,
        type: header.type,
        typeKey: header.typeKey,
        size: header.size,
        mode: header.mode,
        linkpath: header.linkpath,
      });
      open = { hash: createHash('sha256'), bytes: 0, size: header.size };
    },
    data(chunk: Buffer) {
      if (open === undefined) return broken(`${chunk.length} bytes of data outside an entry`);
      open.hash.update(chunk);
      open.bytes += chunk.length;
    },
    end() {
      if (open === undefined) return broken('end outside an entry');
      events.push({ event: 'end', bytes: open.bytes, sha256: open.hash.digest('hex') });
      open = undefined;
    },
    ignored(header: TarEntryHeader) {
      events.push({ event: 'ignored', path: header.path, type: header.type, meta: header.meta });
    },
    eof() {
      if (sawEof) broken('a second eof');
      sawEof = true;
      events.push({ event: 'eof' });
    },
  };
  const refused = (error: unknown): void => {
    const code: unknown = typeof error === 'object' && error !== null && 'code' in error ? error.code : undefined;
    const message = error instanceof Error ? error.message : String(error);
    if (typeof code === 'string') events.push({ event: 'error', code, message });
    else broken(`threw without a code: ${error instanceof Error ? error.name : typeof error}: ${message}`);
  };
  let reader: TarReaderLike;
  try {
    reader = factory({ handlers, maxMetaEntryBytes });
  } catch (error: unknown) {
    refused(error);
    return events;
  }
  try {
    let offset = 0;
    for (let piece = 0; offset < tar.length; piece += 1) {
      const size = chunkSizes.length === 0 ? tar.length : (chunkSizes[piece % chunkSizes.length] ?? tar.length);
      reader.write(tar.subarray(offset, offset + Math.max(1, size)));
      offset += Math.max(1, size);
    }
    reader.end();
  } catch (error: unknown) {
    refused(error);
  }
  return events;
}

/** Index of the first event where `a` and `b` differ (JSON-wise), or -1 when they are equal. */
export function firstDifference(a: readonly TarEvent[], b: readonly TarEvent[]): number {
  const length = Math.max(a.length, b.length);
  for (let index = 0; index < length; index += 1) {
    if (JSON.stringify(a[index]) !== JSON.stringify(b[index])) return index;
  }
  return -1;
}
