import { Header, Pax, ReadEntry } from 'tar';
import { decodePlainHeader } from './plain-header';
import { TarFormatError, type TarEntryHeader, type TarReaderHandlers, type TarReaderOptions } from './tar-entry';

export { TarFormatError, type TarEntryHeader, type TarReaderHandlers, type TarReaderOptions } from './tar-entry';

const BLOCK = 512;
/** The entry whose blocks are being read: data bytes and data + padding bytes left. */
interface OpenEntry {
  readonly meta: boolean;
  readonly type: string;
  remain: number;
  blockRemain: number;
}
type State = 'begin' | 'header' | 'body' | 'ignore' | 'meta';
type PaxFields = InstanceType<typeof Pax>;
const LINK_TYPES: ReadonlySet<string> = new Set(['Link', 'SymbolicLink']);
const PAX_TYPES: ReadonlySet<string> = new Set(['ExtendedHeader', 'GlobalExtendedHeader']);
const TYPE_NAME: Readonly<Record<string, string>> = { '0': 'File', '1': 'Link', '2': 'SymbolicLink', '5': 'Directory' };

/**
 * A tar reader that gives exactly what node-tar's strict `Parser` gives (the same entries with
 * the same fields, the same data, the same errors at the same place: proven by
 * test/unit/agent/release/tar/tar-reader-differential.test.ts), for much less work per entry:
 * it is fed inflated bytes and calls its handlers synchronously, with no stream, buffer or
 * event emitter per entry, and decodes a plain ustar header itself (plain-header.ts). Any
 * other header is decoded by node-tar's own Header and ReadEntry, and pax and GNU long-name
 * headers by node-tar's Pax, so their meaning is node-tar's by construction. The framing
 * follows node-tar's Parser step by step (which bytes are consumed when, what a truncated
 * archive reports). The first error is thrown, and the reader then refuses every call.
 */
export class TarReader {
  readonly #handlers: TarReaderHandlers;
  readonly #maxMetaEntryBytes: number;
  #state: State = 'begin';
  /** Input not yet consumed (less than a block, or held while an entry is being read). */
  #buffer: Buffer | undefined;
  #ex: PaxFields | undefined;
  #gex: PaxFields | undefined;
  /** The entry whose data is being consumed (body, ignore or meta). */
  #current: OpenEntry | undefined;
  #metaText = '';
  /** undefined until a header was read; then whether one entry was complete (node-tar's SAW_VALID_ENTRY). */
  #sawValidEntry: boolean | undefined;
  #sawNullBlock = false;
  #sawEof = false;
  /** Bytes written after the end-of-archive marker: not parsed, only counted (node-tar buffers them). */
  #bytesAfterEof = 0;
  #nonZeroAfterEof = false;
  #failed: TarFormatError | undefined;
  #ended = false;

  constructor(options: TarReaderOptions) {
    this.#handlers = options.handlers;
    this.#maxMetaEntryBytes = options.maxMetaEntryBytes;
  }

  /** True once the end-of-archive marker was read. */
  get sawEof(): boolean {
    return this.#sawEof;
  }

  /** Bytes written after the end-of-archive marker (not parsed), and whether any was not zero. */
  get afterEof(): { readonly bytes: number; readonly nonZero: boolean } {
    return { bytes: this.#bytesAfterEof, nonZero: this.#nonZeroAfterEof };
  }

  write(chunk: Buffer): void {
    if (this.#failed !== undefined) throw this.#failed;
    if (this.#ended) throw new Error('TarReader.write after end');
    if (chunk.length === 0) return;
    if (this.#sawEof) {
      this.#afterEofBytes(chunk);
      return;
    }
    const held = this.#buffer;
    this.#buffer = undefined;
    this.#guard(() => (held === undefined ? this.#consume(chunk, 0) : this.#bridge(held, chunk)));
  }

  /** No more input: reports a truncated entry or an archive with nothing valid in it. */
  end(): void {
    if (this.#failed !== undefined) throw this.#failed;
    if (this.#ended) return;
    this.#ended = true;
    this.#guard(() => {
      const current = this.#current;
      if (current !== undefined && current.blockRemain > 0) {
        // node-tar counts what it holds unparsed: after the end marker, every byte written since.
        const have = this.#sawEof ? this.#bytesAfterEof : (this.#buffer?.length ?? 0);
        throw new TarFormatError('TAR_BAD_ARCHIVE', `Truncated input (needed ${current.blockRemain} more bytes, only ${have} available)`);
      }
      if (this.#state === 'begin' || this.#sawValidEntry === false) {
        throw new TarFormatError('TAR_BAD_ARCHIVE', 'Unrecognized archive format');
      }
    });
  }

  #guard(work: () => void): void {
    try {
      work();
    } catch (error: unknown) {
      if (error instanceof TarFormatError) this.#failed = error;
      throw error;
    }
  }

  /** node-tar's CONSUMECHUNKSUB from `position`: whole blocks while at least one is there, the rest kept. */
  #consume(chunk: Buffer, start: number): void {
    let position = start;
    const length = chunk.length;
    while (position + BLOCK <= length && !this.#sawEof) {
      if (this.#state === 'begin' || this.#state === 'header') {
        this.#header(chunk, position);
        position += BLOCK;
      } else {
        const take = Math.min(this.#entry().blockRemain, length - position);
        this.#body(chunk.subarray(position, position + take), undefined);
        position += take;
      }
    }
    if (position < length) {
      if (this.#sawEof) this.#afterEofBytes(chunk.subarray(position));
      else this.#buffer = Buffer.from(chunk.subarray(position));
    }
  }

  /**
   * node-tar's CONSUMECHUNKSUB over `held` (less than a block kept from the last write) followed
   * by `chunk`, without joining the two (node-tar joins them: a copy of every chunk once the
   * input is out of step with the blocks, as inflated chunks are). What starts inside `held` is
   * read from both (a header through a 512-byte copy; data as two views, the same bytes), then
   * the rest of `chunk` as usual: the same steps, the same bytes kept.
   */
  #bridge(held: Buffer, chunk: Buffer): void {
    const total = held.length + chunk.length;
    if (total < BLOCK) {
      this.#buffer = Buffer.concat([held, chunk]);
      return;
    }
    let position = 0;
    while (position < held.length && position + BLOCK <= total && !this.#sawEof) {
      if (this.#state === 'begin' || this.#state === 'header') {
        this.#header(Buffer.concat([held.subarray(position), chunk.subarray(0, position + BLOCK - held.length)]), 0);
        position += BLOCK;
      } else {
        const take = Math.min(this.#entry().blockRemain, total - position);
        const inHeld = Math.min(take, held.length - position);
        this.#body(held.subarray(position, position + inHeld), take > inHeld ? chunk.subarray(0, take - inHeld) : undefined);
        position += take;
      }
    }
    if (this.#sawEof) {
      this.#afterEofBytes(held.subarray(Math.min(position, held.length)));
      this.#afterEofBytes(chunk.subarray(Math.max(0, position - held.length)));
    } else if (position < held.length) {
      // Less than a block in all (so `chunk` is short): kept, as node-tar keeps it.
      this.#buffer = Buffer.concat([held.subarray(position), chunk]);
    } else {
      this.#consume(chunk, position - held.length);
    }
  }

  /** Counts bytes after the end-of-archive marker (node-tar keeps them unparsed) and notes a non-zero one. */
  #afterEofBytes(bytes: Buffer): void {
    this.#bytesAfterEof += bytes.length;
    if (!this.#nonZeroAfterEof && bytes.some((byte) => byte !== 0)) this.#nonZeroAfterEof = true;
  }

  #entry(): OpenEntry {
    const current = this.#current;
    if (current === undefined) throw new Error('TarReader: data without an entry');
    return current;
  }

  #header(chunk: Buffer, position: number): void {
    if (this.#sawValidEntry === undefined) this.#sawValidEntry = false;
    const plain = this.#ex === undefined && this.#gex === undefined ? decodePlainHeader(chunk, position) : undefined;
    if (plain !== undefined) {
      this.#sawNullBlock = false;
      if (!plain.cksumValid) throw new TarFormatError('TAR_ENTRY_INVALID', 'checksum failure');
      const type = TYPE_NAME[plain.typeKey] as string;
      this.#checkLinkpath(type, plain.linkpath);
      this.#fileEntry({ path: plain.path, type, typeKey: plain.typeKey, size: plain.size, mode: plain.mode, linkpath: plain.linkpath, meta: false }, plain.size, false);
      return;
    }
    let header: InstanceType<typeof Header>;
    try {
      header = new Header(chunk, position, this.#ex, this.#gex);
    } catch (error: unknown) {
      // node-tar reports a header it cannot decode (a bad base-256 number) with its own message.
      throw new TarFormatError('TAR_ENTRY_INVALID', error instanceof Error ? error : String(error));
    }
    if (header.nullBlock) {
      if (this.#sawNullBlock) {
        this.#sawEof = true;
        if (this.#state === 'begin') this.#state = 'header';
        this.#handlers.eof();
      } else {
        this.#sawNullBlock = true;
      }
      return;
    }
    this.#sawNullBlock = false;
    if (!header.cksumValid) throw new TarFormatError('TAR_ENTRY_INVALID', 'checksum failure');
    if (!header.path) throw new TarFormatError('TAR_ENTRY_INVALID', 'path is required');
    this.#checkLinkpath(header.type, header.linkpath);
    const entry = new ReadEntry(header, this.#ex, this.#gex);
    const fields: TarEntryHeader = {
      path: entry.path,
      type: entry.type,
      typeKey: header.typeKey,
      size: entry.size,
      mode: entry.mode,
      linkpath: entry.linkpath,
      meta: entry.meta,
    };
    const remain = entry.remain;
    if (!entry.meta) {
      this.#fileEntry(fields, remain, entry.ignore);
      return;
    }
    this.#open(fields, remain);
    // As node-tar: a meta header whose size (after pending pax fields) is 0 changes no state,
    // so the blocks after it are read as headers.
    if (entry.size > this.#maxMetaEntryBytes) {
      this.#handlers.ignored(fields);
      this.#state = 'ignore';
    } else if (entry.size > 0) {
      this.#metaText = '';
      this.#state = 'meta';
    }
  }

  /** node-tar's 'linkpath required' / 'linkpath forbidden'. */
  #checkLinkpath(type: string, linkpath: string | undefined): void {
    if (LINK_TYPES.has(type) && !linkpath) throw new TarFormatError('TAR_ENTRY_INVALID', 'linkpath required');
    if (!LINK_TYPES.has(type) && !PAX_TYPES.has(type) && linkpath) throw new TarFormatError('TAR_ENTRY_INVALID', 'linkpath forbidden');
  }

  /** A file system entry: emitted (or ignored), its data consumed next. */
  #fileEntry(fields: TarEntryHeader, remain: number, ignore: boolean): void {
    this.#open(fields, remain);
    this.#ex = undefined;
    if (ignore) {
      this.#handlers.ignored(fields);
      this.#state = remain > 0 ? 'ignore' : 'header';
      return;
    }
    this.#handlers.entry(fields);
    if (remain > 0) {
      this.#state = 'body';
    } else {
      this.#state = 'header';
      this.#handlers.end();
    }
  }

  /** node-tar's WRITEENTRY: the entry of the last header, whose blocks come next. */
  #open(fields: TarEntryHeader, remain: number): void {
    if (remain === 0) this.#sawValidEntry = true;
    this.#current = { meta: fields.meta, type: fields.type, remain, blockRemain: BLOCK * Math.ceil(remain / BLOCK) };
  }

  /**
   * node-tar's CONSUMEBODY of one take (at most the entry's blocks left): `first`, then `second`
   * when the take spans a kept tail and the next chunk (data handed on as two views then; meta
   * text decoded from the joined bytes, as node-tar decodes one take).
   */
  #body(first: Buffer, second: Buffer | undefined): void {
    const current = this.#entry();
    const take = first.length + (second?.length ?? 0);
    const data = Math.min(current.remain, take);
    current.remain -= data;
    current.blockRemain -= take;
    if (data > 0) {
      if (this.#state === 'body') {
        this.#handlers.data(first.subarray(0, data));
        if (second !== undefined && data > first.length) this.#handlers.data(second.subarray(0, data - first.length));
      } else if (this.#state === 'meta') {
        const joined = second === undefined ? first : Buffer.concat([first, second]);
        this.#metaText += joined.subarray(0, data).toString();
      }
    }
    if (current.blockRemain === 0) {
      const state = this.#state;
      this.#state = 'header';
      this.#current = undefined;
      this.#sawValidEntry = true;
      if (state === 'body') this.#handlers.end();
      else if (state === 'meta') this.#applyMeta(current.type);
    }
  }

  /** node-tar's EMITMETA: a pax or GNU long-name header applies to what follows. */
  #applyMeta(type: string): void {
    const text = this.#metaText;
    this.#metaText = '';
    switch (type) {
      case 'ExtendedHeader':
      case 'OldExtendedHeader':
        this.#ex = Pax.parse(text, this.#ex, false);
        return;
      case 'GlobalExtendedHeader':
        this.#gex = Pax.parse(text, this.#gex, true);
        return;
      case 'NextFileHasLongPath':
      case 'OldGnuLongPath':
        this.#ex ??= Object.create(null) as PaxFields;
        this.#ex.path = text.replace(/\0.*/, '');
        return;
      case 'NextFileHasLongLinkpath':
        this.#ex ??= Object.create(null) as PaxFields;
        this.#ex.linkpath = text.replace(/\0.*/, '');
        return;
      default:
        throw new Error(`TarReader: unknown meta entry type ${type}`);
    }
  }
}
