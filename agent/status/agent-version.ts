import { readFileSync } from 'node:fs';
import path from 'node:path';

/** The package whose version the agent reports (package.json "name"). */
const PACKAGE_NAME = 'deployctl';

/**
 * The version of deploy-agent itself, from the package.json above this file
 * (found both from source and from dist/), or 'unknown'. Read once, when the
 * agent is built.
 */
export function readAgentVersion(from: string = __dirname): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const version = versionIn(path.join(dir, 'package.json'));
    if (version !== undefined) return version;
    if (path.dirname(dir) === dir) return 'unknown';
  }
}

function versionIn(file: string): string | undefined {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
  if (typeof json !== 'object' || json === null) return undefined;
  const { name, version } = json as { name?: unknown; version?: unknown };
  return name === PACKAGE_NAME && typeof version === 'string' ? version : undefined;
}
