import { lstat, mkdir, readdir, readlink, rename, rm, stat, symlink } from 'node:fs/promises';
import path from 'node:path';
import { fsyncDir, tempPathBeside } from '../fs/atomic-write';
import { writeAgentState, type AgentState } from './agent-state';

/**
 * The agent's directory (DESIGN §2): `releases/<version>/` (only complete
 * ones: they appear by rename), `current` (symlink to the running release)
 * and `state.json`.
 */
export class ReleaseDirs {
  readonly releases: string;
  readonly currentLink: string;
  readonly stateFile: string;

  constructor(readonly root: string) {
    this.releases = path.join(root, 'releases');
    this.currentLink = path.join(root, 'current');
    this.stateFile = path.join(root, 'state.json');
  }

  async prepare(): Promise<void> {
    await mkdir(this.releases, { recursive: true, mode: 0o755 });
  }

  dirOf(version: string): string {
    return path.join(this.releases, version);
  }

  async has(version: string): Promise<boolean> {
    try {
      return (await stat(this.dirOf(version))).isDirectory();
    } catch {
      return false;
    }
  }

  /** The version `current` points to, if it points to a release that is there. */
  async current(): Promise<string | undefined> {
    let target: string;
    try {
      target = await readlink(this.currentLink);
    } catch {
      return undefined;
    }
    const version = path.basename(target);
    return (await this.has(version)) ? version : undefined;
  }

  /** Points `current` at `version` atomically (a new symlink renamed over the old one). */
  async switchCurrent(version: string): Promise<void> {
    const temp = tempPathBeside(this.currentLink);
    await symlink(path.join('releases', version), temp);
    try {
      await rename(temp, this.currentLink);
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
    await fsyncDir(this.root);
  }

  /** Writes state.json atomically (agent-state.ts). */
  async writeState(state: AgentState): Promise<void> {
    await writeAgentState(this.stateFile, state);
  }

  /** Removes what a killed unpack left behind (hidden temp dirs). */
  async removeLeftovers(): Promise<string[]> {
    const removed: string[] = [];
    for (const name of await readdir(this.releases)) {
      if (!name.startsWith('.')) continue;
      await rm(path.join(this.releases, name), { recursive: true, force: true });
      removed.push(name);
    }
    for (const name of await readdir(this.root)) {
      if (name.startsWith('.') && name.endsWith('.tmp')) await rm(path.join(this.root, name), { force: true });
    }
    return removed;
  }

  /**
   * Keeps `keep` releases and every protected one; returns what it removed.
   * Releases that went live here (`wentLive`, newest first) are kept before
   * any that never did: never-live and failed releases go first, oldest first.
   */
  async prune(keep: number, protect: ReadonlySet<string>, wentLive: readonly string[] = []): Promise<string[]> {
    const entries: { version: string; mtimeMs: number }[] = [];
    for (const name of await readdir(this.releases)) {
      if (name.startsWith('.')) continue;
      const info = await lstat(path.join(this.releases, name));
      if (info.isDirectory()) entries.push({ version: name, mtimeMs: info.mtimeMs });
    }
    const liveRank = new Map(wentLive.map((version, rank) => [version, rank]));
    // Most worth keeping first: went live (the latest first), then never live (the newest first).
    entries.sort((a, b) => {
      const ra = liveRank.get(a.version);
      const rb = liveRank.get(b.version);
      if (ra !== undefined && rb !== undefined) return ra - rb;
      if (ra !== undefined) return -1;
      if (rb !== undefined) return 1;
      return b.mtimeMs - a.mtimeMs;
    });
    const removable = entries.filter((e) => !protect.has(e.version));
    const room = Math.max(0, keep - (entries.length - removable.length));
    const doomed = removable.slice(room);
    for (const entry of doomed) await rm(this.dirOf(entry.version), { recursive: true, force: true });
    return doomed.map((e) => e.version);
  }
}
