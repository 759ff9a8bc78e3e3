import { readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * The version of the deployctl package this code belongs to (package.json's
 * `version`), for `deployctl --version` and `deploy-agent --version`. Found by
 * walking up from this file: the same from the checkout (ts-jest), from
 * dist/ and from an installed package (node_modules/deployctl/).
 */
export function packageVersion(from: string = __dirname): string {
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
  const { name, version } = (json ?? {}) as { name?: unknown; version?: unknown };
  return name === 'deployctl' && typeof version === 'string' ? version : undefined;
}

/** `<tool> 0.1.0 (Node v24.11.0)`: what `--version` prints. */
export function versionLine(tool: string): string {
  return `${tool} ${packageVersion()} (Node ${process.version})`;
}
