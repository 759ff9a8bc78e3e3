import path from 'node:path';
import { t as listArchive } from 'tar';
import { DeployError, describeError } from '../../agent/errors';
import { DEFAULT_ENTRY, normalizeEntry } from './entry-file';

/** A package.json bigger than this is not read for its "main". */
const MAX_PACKAGE_JSON_BYTES = 1024 * 1024;

/** What a ready-made archive holds, as far as a push needs to know. */
export interface ArchiveContents {
  /** Entries in the archive. */
  readonly count: number;
  /** The entry file, resolved as for --dir: --entry, else package.json's "main", else server.js. */
  readonly entry: string;
}

interface Listing {
  count: number;
  /** Normalized paths of everything but directories. */
  readonly files: Set<string>;
  /** Every normalized path, directories too. */
  readonly paths: string[];
  packageJson: string | undefined;
}

/**
 * Reads a ready-made .tar.gz once before it is uploaded: it must be a whole,
 * readable gzip'd tar, and hold its entry file, found as `--dir` finds it.
 * When the entry is missing because every file sits under one top-level
 * folder that holds it (`tar czf a.tgz myapp`), the refusal names the folder. (The agent still checks every path
 * when it unpacks.)
 */
export async function checkArchive(file: string, entryFlag: string | undefined): Promise<ArchiveContents> {
  const listing = await listContents(file);
  if (listing.count === 0) throw new DeployError('ARTIFACT_FILE_INVALID', `artifact file ${file} is an empty archive`);
  return { count: listing.count, entry: resolveArchiveEntry(listing, entryFlag, file) };
}

async function listContents(file: string): Promise<Listing> {
  const listing: Listing = { count: 0, files: new Set(), paths: [], packageJson: undefined };
  try {
    await listArchive({
      file,
      strict: true,
      onReadEntry: (e) => {
        listing.count += 1;
        const rel = normalizePath(e.path);
        if (rel === '') return;
        listing.paths.push(rel);
        if (e.type === 'Directory') return;
        listing.files.add(rel);
        if (rel === 'package.json' && e.type === 'File' && e.size <= MAX_PACKAGE_JSON_BYTES) {
          const chunks: Buffer[] = [];
          e.on('data', (chunk: Buffer) => chunks.push(chunk));
          e.on('end', () => (listing.packageJson = Buffer.concat(chunks).toString('utf8')));
        }
      },
    });
  } catch (error) {
    throw new DeployError('ARTIFACT_FILE_INVALID', `artifact file ${file} is not a valid .tar.gz: ${describeError(error)}`, { cause: error });
  }
  return listing;
}

function resolveArchiveEntry(listing: Listing, entryFlag: string | undefined, file: string): string {
  if (entryFlag !== undefined) {
    const entry = normalizeEntry(entryFlag, '--entry');
    if (listing.files.has(entry)) return entry;
    throw missing(`entry file ${entry} (from --entry)`, [entry], listing, file, '');
  }
  const main = packageMain(listing.packageJson, file);
  if (main !== undefined) {
    const entry = normalizeEntry(main, 'the "main" of package.json');
    const candidates = [entry, `${entry}.js`, `${entry}/index.js`];
    const found = candidates.find((c) => listing.files.has(c));
    if (found !== undefined) return found;
    throw missing(`entry file ${entry} (the "main" of package.json)`, candidates, listing, file, '');
  }
  if (listing.files.has(DEFAULT_ENTRY)) return DEFAULT_ENTRY;
  throw missing(`entry file ${DEFAULT_ENTRY}`, [DEFAULT_ENTRY], listing, file, ': add it, pass --entry FILE or set "main" in package.json');
}

function missing(what: string, candidates: readonly string[], listing: Listing, file: string, advice: string): DeployError {
  const folder = singleTopFolder(listing.paths);
  const nested = folder === undefined ? undefined : candidates.map((c) => `${folder}/${c}`).find((c) => listing.files.has(c));
  if (folder === undefined || nested === undefined) return new DeployError('ENTRY_MISSING', `${what} not found in ${file}${advice}`);
  return new DeployError(
    'ENTRY_MISSING',
    `${what} not found in ${file}: every file in it sits under one top-level folder, ${folder}/ (${nested} is there). ` +
      `Archive the folder's contents, not the folder: tar czf ${path.basename(file)} -C ${folder} . ` +
      `(or extract and repack with tar --strip-components 1)`,
  );
}

/** The one first path segment every entry shares, when there is one and something lies under it. */
function singleTopFolder(paths: readonly string[]): string | undefined {
  const tops = new Set(paths.map((p) => p.split('/')[0] ?? ''));
  const [top] = tops;
  if (tops.size !== 1 || top === undefined || top === '') return undefined;
  return paths.some((p) => p.startsWith(`${top}/`)) ? top : undefined;
}

function packageMain(text: string | undefined, file: string): string | undefined {
  if (text === undefined) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new DeployError('ENTRY_INVALID', `package.json in ${file} is not valid JSON: ${describeError(error)}`, { cause: error });
  }
  if (typeof json !== 'object' || json === null || !('main' in json)) return undefined;
  const main: unknown = json.main;
  if (typeof main !== 'string' || main.trim() === '') throw new DeployError('ENTRY_INVALID', `"main" in package.json of ${file} must be a non-empty string`);
  return main;
}

/** `./a//b/` → `a/b`; `./` → ''. */
function normalizePath(raw: string): string {
  const rel = path.posix.normalize(raw.replace(/\\/g, '/')).replace(/\/+$/, '');
  return rel === '.' ? '' : rel.replace(/^\.\//, '');
}
