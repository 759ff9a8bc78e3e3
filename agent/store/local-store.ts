import { createReadStream, createWriteStream } from 'node:fs';
import { link, mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fsyncDir, tempPathBeside, writeFileAtomic } from '../fs/atomic-write';
import { DeployError } from '../errors';
import {
  artifactKey,
  desiredSchema,
  instanceKey,
  instanceStatusSchema,
  manifestKey,
  manifestSchema,
  parseDocument,
  type DesiredState,
  type InstanceStatus,
  type Manifest,
} from './documents';
import { LocalConditionalDocs, localTagOf } from './local-conditional-docs';
import { LocalSlots } from './local-slots';
import type { ReleaseStore, Versioned } from './release-store';
import { assertValidVersion } from './version-name';

/**
 * The store as a local directory (DESIGN §1): the embedded default, and what a
 * shared file system (NFS, EFS) gives a small fleet. Exclusive writes use
 * link(2), which fails when the name exists, so two pushes of one version
 * cannot both win.
 */
export class LocalStore implements ReleaseStore {
  /** Service-out slots under locks/ (local-slots.ts). */
  readonly slots: LocalSlots;
  /** Compare-and-swap documents (local-conditional-docs.ts). */
  readonly docs: LocalConditionalDocs;

  constructor(
    readonly root: string,
    readonly url: string = root,
  ) {
    this.slots = new LocalSlots(root, url);
    this.docs = new LocalConditionalDocs(root, url);
  }

  async readDesired(): Promise<Versioned<DesiredState> | undefined> {
    const text = await this.readText('desired.json');
    if (text === undefined) return undefined;
    const value = parseDocument(desiredSchema, text, `desired.json in ${this.url}`);
    return { value, etag: localTagOf(text) };
  }

  async writeDesired(desired: DesiredState, options: { readonly ifMatch?: string } = {}): Promise<void> {
    await mkdir(this.root, { recursive: true });
    const text = `${JSON.stringify(desired, null, 2)}\n`;
    if (options.ifMatch !== undefined) {
      // A compare-and-swap under a claim file: of racing writers with one tag, one wins.
      if ((await this.docs.replace('desired.json', options.ifMatch, text)) === undefined) {
        throw new DeployError('STORE_CONFLICT', `desired.json in ${this.url} changed since it was read (another push or rollback?); run the command again`);
      }
      return;
    }
    await writeFileAtomic(this.file('desired.json'), text);
  }

  async readManifest(version: string): Promise<Manifest | undefined> {
    assertValidVersion(version);
    const text = await this.readText(manifestKey(version));
    return text === undefined ? undefined : parseDocument(manifestSchema, text, `manifest ${manifestKey(version)} in ${this.url}`);
  }

  async listManifests(): Promise<Manifest[]> {
    let names: string[];
    try {
      names = await readdir(this.file('releases'));
    } catch (error) {
      if (isNotFound(error)) return [];
      throw storeError('read', 'releases/', this.url, error);
    }
    const manifests: Manifest[] = [];
    for (const name of names.filter((n) => n.endsWith('.json') && !n.startsWith('.'))) {
      const text = await this.readText(`releases/${name}`);
      if (text === undefined) continue;
      try {
        manifests.push(parseDocument(manifestSchema, text, `releases/${name}`));
      } catch {
        // A foreign or broken file is not a release; `releases` lists what it can read.
      }
    }
    return manifests.sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.version.localeCompare(b.version));
  }

  async openArtifact(manifest: Manifest): Promise<Readable> {
    const file = this.file(manifest.artifact);
    try {
      await stat(file);
    } catch (error) {
      if (isNotFound(error)) {
        throw new DeployError('STORE_NOT_FOUND', `artifact ${manifest.artifact} of ${manifest.version} is missing from ${this.url}`, {
          cause: error,
        });
      }
      throw storeError('read', manifest.artifact, this.url, error);
    }
    return createReadStream(file);
  }

  async putArtifact(version: string, body: Readable): Promise<void> {
    assertValidVersion(version);
    const key = artifactKey(version);
    await this.refuseExisting(key, version);
    await mkdir(this.file('releases'), { recursive: true });
    const temp = tempPathBeside(this.file(key));
    try {
      await pipeline(body, createWriteStream(temp, { flags: 'wx', mode: 0o644 }));
      await this.linkExclusive(temp, key, version);
    } finally {
      await rm(temp, { force: true });
    }
  }

  async putManifest(manifest: Manifest): Promise<void> {
    assertValidVersion(manifest.version);
    const checked = manifestSchema.safeParse(manifest);
    if (!checked.success) {
      throw new DeployError('STORE_DOCUMENT_INVALID', `refusing to write an invalid manifest for ${manifest.version}: ${checked.error.issues[0]?.path.join('.')}: ${checked.error.issues[0]?.message}`);
    }
    const key = manifestKey(manifest.version);
    await mkdir(this.file('releases'), { recursive: true });
    const temp = tempPathBeside(this.file(key));
    try {
      await writeFile(temp, `${JSON.stringify(manifest, null, 2)}\n`, { flag: 'wx', mode: 0o644 });
      await this.linkExclusive(temp, key, manifest.version);
    } finally {
      await rm(temp, { force: true });
    }
  }

  async deleteRelease(version: string, options: { readonly keepArtifact?: boolean } = {}): Promise<void> {
    assertValidVersion(version);
    await rm(this.file(manifestKey(version)), { force: true });
    if (!options.keepArtifact) await rm(this.file(artifactKey(version)), { force: true });
  }

  async writeInstanceStatus(status: InstanceStatus): Promise<void> {
    await mkdir(this.file('instances'), { recursive: true });
    await writeFileAtomic(this.file(instanceKey(status.instanceId)), `${JSON.stringify(status, null, 2)}\n`);
  }

  async listInstanceStatuses(): Promise<InstanceStatus[]> {
    let names: string[];
    try {
      names = await readdir(this.file('instances'));
    } catch (error) {
      if (isNotFound(error)) return [];
      throw storeError('read', 'instances/', this.url, error);
    }
    const statuses: InstanceStatus[] = [];
    for (const name of names.filter((n) => n.endsWith('.json') && !n.startsWith('.')).sort()) {
      const text = await this.readText(`instances/${name}`);
      if (text === undefined) continue;
      try {
        statuses.push(parseDocument(instanceStatusSchema, text, `instances/${name}`));
      } catch {
        // a half-migrated or foreign file: status shows what it can read
      }
    }
    return statuses;
  }

  private async linkExclusive(temp: string, key: string, version: string): Promise<void> {
    try {
      await link(temp, this.file(key));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw versionExists(version, this.url, error);
      throw storeError('write', key, this.url, error);
    }
    await fsyncDir(path.dirname(this.file(key)));
  }

  private async refuseExisting(key: string, version: string): Promise<void> {
    try {
      await stat(this.file(key));
    } catch (error) {
      if (isNotFound(error)) return;
      throw storeError('read', key, this.url, error);
    }
    throw versionExists(version, this.url);
  }

  private async readText(key: string): Promise<string | undefined> {
    try {
      return await readFile(this.file(key), 'utf8');
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw storeError('read', key, this.url, error);
    }
  }

  private file(key: string): string {
    return path.join(this.root, ...key.split('/'));
  }
}

function versionExists(version: string, url: string, cause?: unknown): DeployError {
  return new DeployError(
    'STORE_VERSION_EXISTS',
    `version ${version} already exists in ${url}; versions are immutable, push a new version name`,
    { cause },
  );
}

function storeError(op: 'read' | 'write', key: string, url: string, cause: unknown): DeployError {
  return new DeployError('STORE_UNAVAILABLE', `cannot ${op} ${key} in ${url}: ${(cause as Error).message}`, { cause });
}

function isNotFound(error: unknown): boolean {
  return (error as NodeJS.ErrnoException).code === 'ENOENT';
}
