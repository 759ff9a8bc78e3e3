import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { dispatch } from '../../cli/run/dispatch';
import { COMMANDS } from '../../cli/main';
import { makeFixtureRelease } from './fixture-releases';
import { withTimeout } from './with-timeout';

export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunOptions {
  readonly cwd: string;
  readonly env?: Record<string, string | undefined>;
  /** Pretend stderr is a terminal (progress bars). */
  readonly isTTY?: boolean;
  /** The command must be done within this. @default 30000 */
  readonly timeoutMs?: number;
}

/** Runs `deployctl <args>` in-process through the real command table, capturing both streams. */
export async function runCli(args: string[], options: RunOptions): Promise<CliRun> {
  const stdout = capture(false);
  const stderr = capture(options.isTTY === true);
  const code = await withTimeout(
    dispatch(COMMANDS, args, {
      stdout: stdout.stream,
      stderr: stderr.stream,
      env: { DEPLOYCTL_CREATED_BY: 'test@jest', ...options.env },
      cwd: options.cwd,
      isTTY: options.isTTY === true,
    }),
    options.timeoutMs ?? 30_000,
    `deployctl ${args.join(' ')}`,
  );
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}

function capture(isTTY: boolean): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  // cli-progress draws only on streams that say they are terminals.
  if (isTTY) Object.assign(stream, { isTTY: true, columns: 100 });
  const chunks: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
}

/** Writes `files` (relative path → content) under `dir`. */
export async function writeTree(dir: string, files: Record<string, string>): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (const [rel, content] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, rel)), { recursive: true });
    await writeFile(path.join(dir, rel), content);
  }
}

export async function sha256File(file: string): Promise<string> {
  return createHash('sha256').update(await readFile(file)).digest('hex');
}

export async function fileSize(file: string): Promise<number> {
  return (await stat(file)).size;
}

export async function readJson(file: string): Promise<unknown> {
  return JSON.parse(await readFile(file, 'utf8')) as unknown;
}

/** Every file under `dir` (relative path → sha256), to prove a failed push changed nothing. */
export async function snapshotDir(dir: string): Promise<Record<string, string>> {
  const result: Record<string, string> = {};
  const visit = async (rel: string): Promise<void> => {
    let names: string[];
    try {
      names = await readdir(path.join(dir, rel));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw error;
    }
    for (const name of names.sort()) {
      const child = rel === '' ? name : `${rel}/${name}`;
      if ((await stat(path.join(dir, child))).isDirectory()) await visit(child);
      else result[child] = await sha256File(path.join(dir, child));
    }
  };
  await visit('');
  return result;
}

/** The lines of a captured stream, without the trailing empty one. */
export function lines(text: string): string[] {
  return text.split('\n').filter((line) => line !== '');
}

/**
 * `deployctl push <v> --dir <fixture release>` into `store` for each version, in order
 * (sources under `<work>/src`); throws with the CLI's stderr when one fails.
 */
export async function pushFixtures(work: string, store: string, versions: readonly string[], env?: Record<string, string>): Promise<void> {
  for (const version of versions) {
    const dir = makeFixtureRelease(path.join(work, 'src'), version).dir;
    const run = await runCli(['push', version, '--dir', dir, '--store', store], { cwd: work, ...(env ? { env } : {}) });
    if (run.code !== 0) throw new Error(`push ${version} failed: ${run.stderr}`);
  }
}
