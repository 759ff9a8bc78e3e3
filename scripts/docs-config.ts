/**
 * `npm run docs:config`: rewrites the config reference in README.md (between
 * its markers) from the schema in agent/config/config-file.ts and the
 * defaults in agent/config/defaults.ts.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { withConfigReference } from '../agent/config/config-reference';

// dist/scripts/docs-config.js → the repository root.
const readmePath = path.resolve(__dirname, '..', '..', 'README.md');

function main(): void {
  const before = readFileSync(readmePath, 'utf8');
  const after = withConfigReference(before);
  if (after === before) {
    process.stdout.write(`${readmePath}: the config reference is up to date\n`);
    return;
  }
  writeFileSync(readmePath, after);
  process.stdout.write(`${readmePath}: config reference rewritten\n`);
}

try {
  main();
} catch (error) {
  process.stderr.write(`docs:config: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
}
