/**
 * node-tar's strict Parser behind the TarReader API, configured as unpack-release.ts used it
 * (strict, no zstd, no brotli, fed uncompressed tar): the reference side of the differential
 * test. node-tar parses raw tar synchronously, so each of its events has happened by the time
 * `write`/`end` return; its first 'error' is thrown from there, and nothing after it is passed on.
 */
import { Parser, type ReadEntry } from 'tar';
import type { TarEntryHeader, TarReaderHandlers, TarReaderLike } from './tar-events';

/** A node-tar 'error', with node-tar's code (`data.code`, e.g. TAR_ENTRY_INVALID). */
export class NodeTarError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export class NodeTarReader implements TarReaderLike {
  readonly #parser: Parser;
  #failure: NodeTarError | undefined;

  constructor(options: { readonly handlers: TarReaderHandlers; readonly maxMetaEntryBytes: number }) {
    const { handlers } = options;
    const live = (): boolean => this.#failure === undefined;
    this.#parser = new Parser({ strict: true, zstd: false, brotli: false, maxMetaEntrySize: options.maxMetaEntryBytes });
    this.#parser.on('entry', (entry: ReadEntry) => {
      if (!live()) {
        entry.resume();
        return;
      }
      handlers.entry(headerOf(entry));
      entry.on('data', (chunk: Buffer) => {
        if (live()) handlers.data(chunk);
      });
      entry.on('end', () => {
        if (live()) handlers.end();
      });
    });
    this.#parser.on('ignoredEntry', (entry: ReadEntry) => {
      if (live()) handlers.ignored(headerOf(entry));
    });
    this.#parser.on('eof', () => {
      if (live()) handlers.eof();
    });
    this.#parser.on('error', (error: unknown) => {
      this.#failure ??= asNodeTarError(error);
    });
  }

  write(chunk: Buffer): void {
    this.#call(() => this.#parser.write(chunk));
  }

  end(): void {
    this.#call(() => this.#parser.end());
  }

  /**
   * node-tar may throw after its first 'error' (at the end of a truncated entry it writes what it
   * holds into the entry, which throws when that is more than the entry's blocks): the 'error'
   * came first, so it is the failure. A throw with no 'error' before it is passed on as is.
   */
  #call(work: () => void): void {
    try {
      work();
    } catch (error: unknown) {
      if (this.#failure === undefined) throw error;
    }
    if (this.#failure !== undefined) throw this.#failure;
  }
}

export function headerOf(entry: ReadEntry): TarEntryHeader {
  return {
    path: entry.path,
    type: entry.type,
    typeKey: entry.header.typeKey,
    size: entry.size,
    mode: entry.mode,
    linkpath: entry.linkpath,
    meta: entry.meta,
  };
}

function asNodeTarError(error: unknown): NodeTarError {
  const code: unknown = typeof error === 'object' && error !== null && 'code' in error ? error.code : undefined;
  const message = error instanceof Error ? error.message : String(error);
  return new NodeTarError(typeof code === 'string' ? code : 'TAR_UNKNOWN', message);
}
