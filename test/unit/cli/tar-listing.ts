import type { Readable } from 'node:stream';
import { Parser, type ReadEntry } from 'tar';

/** One archive entry as `tar t` reads it. */
export interface ListedEntry {
  readonly path: string;
  readonly type: string;
  readonly linkpath: string;
  readonly size: number;
}

/** Reads a gzip'd tar stream with node-tar's parser (what `tar t` does) and lists its entries in order. */
export function listTarStream(stream: Readable): Promise<ListedEntry[]> {
  return new Promise((resolve, reject) => {
    const entries: ListedEntry[] = [];
    const parser = new Parser({
      strict: true,
      onReadEntry: (entry: ReadEntry) => {
        entries.push({ path: entry.path, type: entry.type, linkpath: entry.linkpath ?? '', size: entry.size ?? 0 });
        entry.resume();
      },
    });
    parser.on('error', reject);
    parser.on('end', () => resolve(entries));
    stream.on('error', reject);
    stream.pipe(parser);
  });
}
