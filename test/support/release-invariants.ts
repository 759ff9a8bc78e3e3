import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import path from 'node:path';
import { agentStateSchema, type AgentState } from '../../agent/deploy/agent-state';
import { snapshotDir } from './cli-harness';

/**
 * What must hold on an agent's disk (DESIGN §2) whatever moment it was killed
 * at: releases/<version>/ complete or absent, `current` pointing to a complete
 * release, state.json parsing. Each check returns what it found, for the test
 * to assert on.
 */

/** Versions under releases/ whose files differ from the tree that was pushed (empty: all complete). */
export async function incompleteReleases(releasesDir: string, sourceOf: (version: string) => string): Promise<string[]> {
  const incomplete: string[] = [];
  for (const version of releaseVersions(releasesDir)) {
    const onDisk = await snapshotDir(path.join(releasesDir, 'releases', version));
    const pushed = await snapshotDir(sourceOf(version));
    if (JSON.stringify(onDisk) !== JSON.stringify(pushed)) incomplete.push(version);
  }
  return incomplete;
}

/** The release directories under releases/ (hidden temp dirs excluded). */
export function releaseVersions(releasesDir: string): string[] {
  const dir = path.join(releasesDir, 'releases');
  return existsSync(dir) ? readdirSync(dir).filter((name) => !name.startsWith('.')).sort() : [];
}

/** What an interrupted run can leave: hidden dirs in releases/ (partial unpacks) and `.*.tmp` files beside state.json. */
export function tempLeftovers(releasesDir: string): string[] {
  const inReleases = existsSync(path.join(releasesDir, 'releases'))
    ? readdirSync(path.join(releasesDir, 'releases')).filter((name) => name.startsWith('.')).map((name) => `releases/${name}`)
    : [];
  const inRoot = readdirSync(releasesDir).filter((name) => name.startsWith('.') && name.endsWith('.tmp'));
  return [...inReleases, ...inRoot].sort();
}

/** The version `current` points to (undefined when there is no link). */
export function currentVersion(releasesDir: string): string | undefined {
  const link = path.join(releasesDir, 'current');
  try {
    return path.basename(readlinkSync(link));
  } catch {
    return undefined;
  }
}

/** state.json, parsed and validated (throws when it does not parse). */
export function readStateFile(releasesDir: string): AgentState {
  return agentStateSchema.parse(JSON.parse(readFileSync(path.join(releasesDir, 'state.json'), 'utf8')));
}
