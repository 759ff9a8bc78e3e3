/**
 * `npm run docs:config`: rewrites the config reference in README.md (between
 * its markers) from the schema in agent/config/config-file.ts and the
 * defaults in agent/config/defaults.ts, and the table of what an idle fleet
 * costs in S3 requests (agent/status/request-cost-table.ts) from the same defaults.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { withConfigReference } from '../agent/config/config-reference';
import { withRequestCostTable } from '../agent/status/request-cost-table';

// dist/scripts/docs-config.js → the repository root.
const readmePath = path.resolve(__dirname, '..', '..', 'README.md');

function main(): void {
  const before = readFileSync(readmePath, 'utf8');
  const after = withRequestCostTable(withConfigReference(before));
  if (after === before) {
    process.stdout.write(`${readmePath}: the config reference and the request cost table are up to date\n`);
    return;
  }
  writeFileSync(readmePath, after);
  process.stdout.write(`${readmePath}: config reference and request cost table rewritten\n`);
}

try {
  main();
} catch (error) {
  process.stderr.write(`docs:config: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
}
