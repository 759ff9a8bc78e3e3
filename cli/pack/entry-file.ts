import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { DeployError, describeError } from '../../agent/errors';
import type { TreeListing } from './tree-walk';

export const DEFAULT_ENTRY = 'server.js';

/**
 * The release's entry file, relative to the app dir: `--entry` when given,
 * else the `main` of the app's package.json (resolved as Node does: as is,
 * with `.js`, or `/index.js`), else `server.js`. It must be a file in the
 * listing (so not under `.git`, not outside the tree).
 */
export async function resolveEntry(listing: TreeListing, entryFlag: string | undefined): Promise<string> {
  if (entryFlag !== undefined) {
    const entry = normalizeEntry(entryFlag, '--entry');
    if (await isFileEntry(listing, entry)) return entry;
    throw missing(`entry file ${entry} (from --entry)`, listing.root);
  }
  const main = await packageMain(listing);
  if (main !== undefined) {
    const entry = normalizeEntry(main, 'the "main" of package.json');
    for (const candidate of [entry, `${entry}.js`, `${entry}/index.js`]) {
      if (await isFileEntry(listing, candidate)) return candidate;
    }
    throw missing(`entry file ${entry} (the "main" of package.json)`, listing.root);
  }
  if (await isFileEntry(listing, DEFAULT_ENTRY)) return DEFAULT_ENTRY;
  throw new DeployError(
    'ENTRY_MISSING',
    `entry file ${DEFAULT_ENTRY} not found in ${listing.root}: add it, pass --entry FILE or set "main" in package.json`,
  );
}

export function normalizeEntry(raw: string, source: string): string {
  const entry = path.posix.normalize(raw.replace(/\\/g, '/')).replace(/\/+$/, '');
  if (entry === '' || entry === '.' || path.posix.isAbsolute(entry) || entry === '..' || entry.startsWith('../')) {
    throw new DeployError('ENTRY_INVALID', `${source} ${JSON.stringify(raw)} must be a file path inside the app dir`);
  }
  return entry;
}

async function isFileEntry(listing: TreeListing, rel: string): Promise<boolean> {
  const found = listing.entries.find((e) => e.path === rel);
  if (found === undefined || found.kind === 'directory') return false;
  if (found.kind === 'file') return true;
  // A symlink (already checked to stay inside): the entry is what it points to.
  return stat(path.join(listing.root, rel)).then(
    (info) => info.isFile(),
    () => false,
  );
}

async function packageMain(listing: TreeListing): Promise<string | undefined> {
  if (!listing.entries.some((e) => e.path === 'package.json' && e.kind === 'file')) return undefined;
  const file = path.join(listing.root, 'package.json');
  let json: unknown;
  try {
    json = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    throw new DeployError('ENTRY_INVALID', `cannot read ${file}: ${describeError(error)}`, { cause: error });
  }
  if (typeof json !== 'object' || json === null || !('main' in json)) return undefined;
  const main: unknown = json.main;
  if (typeof main !== 'string' || main.trim() === '') {
    throw new DeployError('ENTRY_INVALID', `"main" in ${file} must be a non-empty string`);
  }
  return main;
}

function missing(what: string, root: string): DeployError {
  return new DeployError('ENTRY_MISSING', `${what} not found in ${root}`);
}
