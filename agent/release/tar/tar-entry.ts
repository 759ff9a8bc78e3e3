/** What TarReader gives its caller: entries as node-tar describes them, its handlers, its errors. */

/** One tar entry as node-tar's ReadEntry describes it (the fields the unpacker uses). */
export interface TarEntryHeader {
  /** ReadEntry.path: the header's path after pax and GNU long-name headers. */
  readonly path: string;
  /** ReadEntry.type: 'File', 'OldFile', 'ContiguousFile', 'Directory', 'SymbolicLink', 'Link', …, or 'Unsupported'. */
  readonly type: string;
  /** The raw type flag (ReadEntry.header.typeKey). */
  readonly typeKey: string;
  /** ReadEntry.size: bytes of data. */
  readonly size: number;
  /** ReadEntry.mode: permission bits (& 0o7777), when the header has any. */
  readonly mode: number | undefined;
  /** ReadEntry.linkpath, when set. */
  readonly linkpath: string | undefined;
  /** ReadEntry.meta: a pax or GNU long-name header, not a file system entry. */
  readonly meta: boolean;
}

export interface TarReaderHandlers {
  /** A file system entry. Its data follows through `data`, then `end` (also for no data). */
  entry(header: TarEntryHeader): void;
  /** Data of the current entry, in order, never past its size. A view of the input: copy what you keep. */
  data(chunk: Buffer): void;
  /** The current entry's data is complete. */
  end(): void;
  /** An entry node-tar ignores: an unknown type, or a meta header bigger than maxMetaEntryBytes. */
  ignored(header: TarEntryHeader): void;
  /** The end-of-archive marker (two zero blocks): later bytes are not parsed. */
  eof(): void;
}

export interface TarReaderOptions {
  readonly handlers: TarReaderHandlers;
  /** Largest pax / GNU long-name header read; a bigger one is `ignored`. */
  readonly maxMetaEntryBytes: number;
}

/** What node-tar's strict Parser reports as an error; `code` is node-tar's (TAR_ENTRY_INVALID, TAR_BAD_ARCHIVE). */
export class TarFormatError extends Error {
  readonly code: string;

  /** `message` as node-tar words it: `CODE: message`, or a thrown error's own message as is. */
  constructor(code: string, message: string | Error) {
    super(message instanceof Error ? message.message : `${code}: ${message}`, message instanceof Error ? { cause: message } : undefined);
    this.name = 'TarFormatError';
    this.code = code;
  }
}
