import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from '../support/fixture-releases';
import { runCommand } from '../support/run-command';
import { withTimeout } from '../support/with-timeout';

// `npm run demo` is the README's first command: build, then this very script.
const DEMO_SCRIPT = 'dist/demo/demo.js';

describe('npm run demo', () => {
  it('is the build plus the compiled demo', () => {
    const pkg = JSON.parse(readFileSync(path.join(repoRoot(), 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts['demo']).toBe(`tsc -p tsconfig.json && node ${DEMO_SCRIPT}`);
  });

  it('refuses an unknown argument with exit 2 and its usage', async () => {
    const run = await runCommand(process.execPath, [path.join(repoRoot(), DEMO_SCRIPT), '--kep'], { cwd: repoRoot(), timeoutMs: 30_000 });

    expect(run).toEqual({ code: 2, stdout: '', stderr: expect.stringMatching(/^demo: unknown argument --kep\nUsage: npm run demo \[-- --keep\]/) });
  });

  it(
    'publishes v1, rolls to v2 under load, survives a broken v3, shows status, rolls back to v1, shows releases, ends with one JSON line; --keep leaves its directory',
    async () => {
      const child = spawn(process.execPath, [path.join(repoRoot(), DEMO_SCRIPT), '--keep'], { cwd: repoRoot(), stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      let code: number | null;
      try {
        [code] = (await withTimeout(once(child, 'exit'), 150_000, 'the demo to finish')) as [number | null];
      } finally {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      }
      const kept = /^ {3}kept (\S+): /m.exec(stdout)?.[1];
      try {
        const lines = stdout.trim().split('\n');
        const summary = JSON.parse(lines[lines.length - 1] ?? '') as Record<string, unknown>;
        expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
        expect(summary).toMatchObject({ ok: true, failedRequests: 0, abnormalWsCloses: 0, served: ['v1', 'v2', 'v2', 'v1'] });
        expect(summary['requests']).toEqual(expect.any(Number));

        // The operator's view, as deployctl prints it: status after the automatic rollback of v3 ...
        const status = section(lines, '$ deployctl status');
        expect(status[0]).toMatch(/^desired: v3 \(rolling\), .*previous: v2$/);
        expect(status).toContainEqual(expect.stringMatching(/^demo-1 +v2 +v3 +idle +2\/2 +v3 rolled-back: roll to v3 failed/));
        // ... the rollback to v1, waited for ...
        expect(section(lines, '$ deployctl rollback v1 --wait --timeout 60s')).toEqual([
          expect.stringMatching(/^rolling back to v1: named; it went live on demo-1 at \S+$/),
          'desired.json -> v1 (was v3)',
          'v1 is live on 1 instance: demo-1',
        ]);
        // ... and every release, with where it runs.
        const releases = section(lines, '$ deployctl releases');
        expect(releases[0]).toMatch(/^VERSION +CREATED/);
        expect(releases.slice(1).map((l) => l.split(/ +/)[0])).toEqual(['v1', 'v2', 'v3']);
        expect(releases[1]).toMatch(/ desired +- +demo-1$/);

        expect(kept).toBeDefined();
        for (const file of ['store/desired.json', 'store/releases/v3.json', 'agent/current', 'agent.json', 'agent.log']) expect(existsSync(path.join(kept ?? '', file))).toBe(true);
        expect(JSON.parse(readFileSync(path.join(kept ?? '', 'store', 'desired.json'), 'utf8'))).toMatchObject({ version: 'v1' });
      } finally {
        if (kept !== undefined && kept.includes('deployctl-demo-')) rmSync(kept, { recursive: true, force: true });
      }
    },
    180_000,
  );
});

/** The indented lines a command printed, below its `$ deployctl …` line. */
function section(lines: readonly string[], command: string): string[] {
  const start = lines.findIndex((l) => l.trim() === command);
  if (start < 0) throw new Error(`the demo did not show ${command}`);
  const out: string[] = [];
  for (const line of lines.slice(start + 1)) {
    if (!line.startsWith('     ')) break;
    out.push(line.slice(5));
  }
  return out;
}
