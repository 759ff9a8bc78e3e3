import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from '../support/fixture-releases';
import { withTimeout } from '../support/with-timeout';

// `npm run demo` is the README's first command: build, then this very script.
const DEMO_SCRIPT = 'dist/demo/demo.js';

describe('npm run demo', () => {
  it('is the build plus the compiled demo', () => {
    const pkg = JSON.parse(readFileSync(path.join(repoRoot(), 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts['demo']).toBe(`tsc -p tsconfig.json && node ${DEMO_SCRIPT}`);
  });

  it('publishes v1, rolls to v2 under load, survives a broken v3, and ends with one JSON line saying ok', async () => {
    const child = spawn(process.execPath, [path.join(repoRoot(), DEMO_SCRIPT)], { cwd: repoRoot(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    let code: number | null;
    try {
      [code] = (await withTimeout(once(child, 'exit'), 120_000, 'the demo to finish')) as [number | null];
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }

    const lines = stdout.trim().split('\n');
    const summary = JSON.parse(lines[lines.length - 1] ?? '') as Record<string, unknown>;
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(summary).toMatchObject({ ok: true, failedRequests: 0, abnormalWsCloses: 0, served: ['v1', 'v2', 'v2'] });
    expect(summary['requests']).toEqual(expect.any(Number));
  }, 150_000);
});
