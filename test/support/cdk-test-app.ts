import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { App } from 'aws-cdk-lib';

const outdirs: string[] = [];

// Registered when a test file imports this module: synthesized assemblies go away with the file's tests.
afterAll(() => {
  for (const outdir of outdirs.splice(0)) rmSync(outdir, { recursive: true, force: true });
});

/** A CDK App that synthesizes into a temp dir removed after the test file (CDK's default leaves cdk.out* behind). */
export function cdkTestApp(): App {
  const outdir = mkdtempSync(path.join(os.tmpdir(), 'deployctl-cdk-'));
  outdirs.push(outdir);
  return new App({ outdir });
}
