import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { DeployError } from '../../../../agent/errors';
import { hookEnv } from '../../../../agent/hooks/hook-env';
import { runHook, type HookRun } from '../../../../agent/hooks/hook-runner';
import { createLogger } from '../../../../agent/log/logger';
import { waitUntil, withTimeout } from '../../../support/with-timeout';

type Line = Record<string, unknown>;

/** A pid the hook wrote to `file`, once it is there. */
async function pidFrom(file: string): Promise<number> {
  let pid = NaN;
  await waitUntil(() => {
    try {
      pid = Number(readFileSync(file, 'utf8').trim());
    } catch {
      return false;
    }
    return Number.isInteger(pid) && pid > 0;
  }, 20_000, `a pid in ${file}`);
  return pid;
}

function running(pid: number): boolean {
  try {
    const state = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0];
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

describe('runHook: a release hook as a real process group', () => {
  let work: string;
  let logs: Line[];
  let base: Pick<HookRun, 'cwd' | 'env' | 'log'>;
  const leftovers: number[] = [];

  beforeEach(() => {
    work = mkdtempSync(path.join(tmpdir(), 'deployctl-hook-'));
    logs = [];
    const sink = new PassThrough();
    sink.on('data', (chunk: Buffer) => {
      for (const line of chunk.toString().split('\n')) if (line.trim()) logs.push(JSON.parse(line) as Line);
    });
    base = { cwd: work, env: { PATH: process.env.PATH ?? '/usr/bin:/bin' }, log: createLogger(sink, 'debug').child({ version: 'v7', step: 'preparing' }) };
  });

  afterEach(() => {
    for (const pid of leftovers.splice(0)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone, as it should be
      }
    }
    rmSync(work, { recursive: true, force: true });
  });

  async function failure(run: Promise<void>): Promise<DeployError> {
    const error: unknown = await withTimeout(run.then(() => undefined, (e: unknown) => e), 60_000, 'the hook to end');
    if (!(error instanceof DeployError)) throw new Error(`expected a DeployError, got ${String(error)}`);
    return error;
  }

  it('runs the command in the release dir and logs each output line with hook, version and step', async () => {
    await withTimeout(runHook({ ...base, name: 'prepare', command: 'pwd; echo out-1; echo err-1 >&2; printf "no-newline"', timeoutMs: 30_000 }), 30_000, 'the prepare hook');

    const output = logs.filter((l) => l.stream !== undefined);
    expect(output.map((l) => l.msg)).toEqual(expect.arrayContaining([work, 'out-1', 'err-1', 'no-newline']));
    for (const line of output) expect(line).toMatchObject({ hook: 'prepare', version: 'v7', step: 'preparing' });
    expect(output.find((l) => l.msg === 'err-1')).toMatchObject({ stream: 'stderr' });
  });

  it('fails with HOOK_FAILED naming the hook, the exit code and the last output lines', async () => {
    const error = await failure(runHook({ ...base, name: 'validate', command: 'for i in $(seq 1 30); do echo line-$i; done; exit 3', timeoutMs: 30_000 }));

    expect(error.code).toBe('HOOK_FAILED');
    expect(error.message).toMatch(/the validate hook .* exited with code 3/);
    expect(error.message).toContain('line-30');
    expect(error.message).not.toContain('line-5 ');
  });

  it('names the signal that killed a hook', async () => {
    const error = await failure(runHook({ ...base, name: 'once', command: 'kill -USR1 $$; sleep 5', timeoutMs: 30_000 }));

    expect(error).toMatchObject({ code: 'HOOK_FAILED' });
    expect(error.message).toMatch(/was killed by SIGUSR1/);
  });

  it('kills a hanging hook and the grandchild it forked at its timeout (HOOK_TIMEOUT), leaving no process', async () => {
    const pidFile = path.join(work, 'grandchild.pid');
    const run = runHook({ ...base, name: 'prepare', command: `sleep 1000 & echo $! > ${pidFile}; echo started; sleep 1000`, timeoutMs: 1500 });
    const grandchild = await pidFrom(pidFile);
    leftovers.push(grandchild);
    expect(running(grandchild)).toBe(true);

    const error = await failure(run);

    expect(error.code).toBe('HOOK_TIMEOUT');
    expect(error.message).toMatch(/prepare hook ran longer than hookTimeoutMs \(1500 ms\)/);
    expect(error.message).toContain('started');
    await waitUntil(() => !running(grandchild), 10_000, 'the grandchild to be gone');
  });

  it('SIGKILLs a hook that ignores SIGTERM after the kill grace', async () => {
    const pidFile = path.join(work, 'stubborn.pid');
    const run = runHook({ ...base, name: 'once', command: `trap '' TERM; echo $$ > ${pidFile}; while :; do sleep 0.1; done`, timeoutMs: 1000, killGraceMs: 500 });
    const shell = await pidFrom(pidFile);
    leftovers.push(shell);

    const error = await failure(run);

    expect(error.code).toBe('HOOK_TIMEOUT');
    expect(running(shell)).toBe(false);
  });

  it("kills the hook's process group when the agent stops (HOOK_INTERRUPTED)", async () => {
    const pidFile = path.join(work, 'grandchild.pid');
    const stop = new AbortController();
    const run = runHook({ ...base, name: 'once', command: `sleep 1000 & echo $! > ${pidFile}; sleep 1000`, timeoutMs: 600_000, signal: stop.signal });
    const grandchild = await pidFrom(pidFile);
    leftovers.push(grandchild);

    stop.abort();
    const error = await failure(run);

    expect(error.code).toBe('HOOK_INTERRUPTED');
    await waitUntil(() => !running(grandchild), 10_000, 'the grandchild to be gone');
  });

  it('kills what a successful hook left running in the background', async () => {
    const pidFile = path.join(work, 'daemon.pid');
    await withTimeout(runHook({ ...base, name: 'afterLive', command: `sleep 1000 > /dev/null 2>&1 & echo $! > ${pidFile}`, timeoutMs: 30_000 }), 30_000, 'the afterLive hook');
    const daemon = await pidFrom(pidFile);
    leftovers.push(daemon);

    await waitUntil(() => !running(daemon), 10_000, 'the background process to be gone');
  });

  it('redacts secret values from the logged output and the failure message', async () => {
    const error = await failure(runHook({ ...base, env: { ...base.env, TOKEN: 's3cr3t-value' }, name: 'validate', command: 'echo "token=$TOKEN"; exit 1', timeoutMs: 30_000, redact: ['s3cr3t-value'] }));

    expect(JSON.stringify(logs)).not.toContain('s3cr3t-value');
    expect(error.message).not.toContain('s3cr3t-value');
    expect(error.message).toContain('token=***');
  });

  it("gets the workers' env (app.env under the release's env) plus the DEPLOYCTL_* variables", async () => {
    const out = path.join(work, 'env.txt');
    const env = hookEnv('prepare', {
      app: { env: { SHARED: 'from-app', APP_ONLY: 'a' }, port: 4321, idleGraceMs: 1000, wsCloseWindowMs: 2000, drainPreload: true },
      release: { version: 'v7', dir: work, env: { SHARED: 'from-release' } },
      previous: 'v6',
      instanceId: 'i-0abc',
      baseEnv: { PATH: process.env.PATH },
    });
    await withTimeout(runHook({ ...base, env, name: 'prepare', command: `env > ${out}`, timeoutMs: 30_000 }), 30_000, 'the prepare hook');

    const seen = Object.fromEntries(readFileSync(out, 'utf8').trim().split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
    expect(seen).toMatchObject({
      SHARED: 'from-release',
      APP_ONLY: 'a',
      PORT: '4321',
      APP_VERSION: 'v7',
      DEPLOYCTL_HOOK: 'prepare',
      DEPLOYCTL_VERSION: 'v7',
      DEPLOYCTL_PREVIOUS: 'v6',
      DEPLOYCTL_INSTANCE_ID: 'i-0abc',
    });
    expect(seen.DEPLOYCTL_CONTROL_FD).toBeUndefined();
  });
});
