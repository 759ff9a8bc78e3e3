import { execFile } from 'node:child_process';
import { access, mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { readJson, sha256File, writeTree } from '../../support/cli-harness';
import { withTimeout } from '../../support/with-timeout';

const run = promisify(execFile);
const repo = path.resolve(__dirname, '../../..');
const bin = path.join(repo, 'dist', 'cli', 'main.js');

interface ProcessResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a command to its end; a non-zero exit is a result, not a rejection. */
async function exec(file: string, args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv }): Promise<ProcessResult> {
  try {
    const { stdout, stderr } = await run(file, args, { ...options, encoding: 'utf8' });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: unknown; stdout?: string; stderr?: string };
    if (typeof failed.code !== 'number') throw error;
    return { code: failed.code, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

let work: string;

beforeAll(async () => {
  // `npm test` builds dist/ before jest starts; rebuilding here would rewrite files other tests are running.
  await access(bin);
});

beforeEach(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'deployctl-bin-'));
  await writeTree(path.join(work, 'app'), { 'server.js': '// app\n' });
});

afterEach(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('the compiled deployctl bin', () => {
  it('starts with a shebang so npm can link it', async () => {
    expect((await readFile(bin, 'utf8')).split('\n')[0]).toBe('#!/usr/bin/env node');
  });

  it('pushes a release as a real process: exit 0, the JSON summary on stdout', async () => {
    const env = { ...process.env, DEPLOYCTL_STORE: 'store', DEPLOYCTL_CREATED_BY: 'bin-test' };

    const result = await withTimeout(exec(process.execPath, [bin, 'push', 'v42', '--dir', 'app', '--json'], { cwd: work, env }), 30_000, 'deployctl push');

    expect(result.code).toBe(0);
    const artifact = path.join(work, 'store', 'releases', 'v42.tar.gz');
    expect(JSON.parse(result.stdout)).toEqual({ ok: true, version: 'v42', sha256: await sha256File(artifact), size: expect.any(Number), previous: null });
    expect(await readJson(path.join(work, 'store', 'releases', 'v42.json'))).toMatchObject({ version: 'v42', createdBy: 'bin-test' });
  });

  it('exits 2 with one line on a usage error, and 1 on a failure', async () => {
    const env = { ...process.env, DEPLOYCTL_STORE: 'store' };

    const usage = await withTimeout(exec(process.execPath, [bin, 'push', 'v1', '--dir', 'app', '--bogus'], { cwd: work, env }), 30_000, 'usage error');
    const failure = await withTimeout(exec(process.execPath, [bin, 'push', 'v1', '--dir', 'missing'], { cwd: work, env }), 30_000, 'failure');

    expect(usage).toEqual({ code: 2, stdout: '', stderr: "deployctl: unknown option --bogus (see 'deployctl push --help')\n" });
    expect(failure.code).toBe(1);
    expect(failure.stderr).toMatch(/^deployctl: app dir .*missing does not exist\n$/);
  });
});
