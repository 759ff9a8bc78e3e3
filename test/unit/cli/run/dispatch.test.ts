import { PassThrough } from 'node:stream';
import type { CliIo } from '../../../../cli/run/cli-io';
import type { Command } from '../../../../cli/run/command';
import { PUSH_HELP } from '../../../../cli/commands/push';
import { dispatch } from '../../../../cli/run/dispatch';
import { COMMANDS } from '../../../../cli/main';
import { UsageError } from '../../../../cli/args/usage-error';
import { DeployError } from '../../../../agent/errors';

function io(env: Record<string, string> = {}): { io: CliIo; out: () => string; err: () => string } {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const chunks = { out: [] as Buffer[], err: [] as Buffer[] };
  stdout.on('data', (c: Buffer) => chunks.out.push(c));
  stderr.on('data', (c: Buffer) => chunks.err.push(c));
  return {
    io: { stdout, stderr, env, cwd: '/nonexistent', isTTY: false },
    out: () => Buffer.concat(chunks.out).toString(),
    err: () => Buffer.concat(chunks.err).toString(),
  };
}

/** A command that records its arguments or throws what it is given. */
function probe(outcome: number | Error): Command & { calls: string[][] } {
  const calls: string[][] = [];
  return {
    name: 'probe',
    synopsis: 'a test command',
    help: 'Usage: deployctl probe',
    calls,
    run: async (args) => {
      calls.push(args);
      if (typeof outcome === 'number') return outcome;
      throw outcome;
    },
  };
}

describe('dispatch', () => {
  it.each([[['--help']], [['-h']], [['help']]])('prints the command list for %j and exits 0', async (args) => {
    const t = io();
    expect(await dispatch(COMMANDS, args, t.io)).toBe(0);
    expect(t.out()).toMatch(/^Usage: deployctl <command> \[options\]/);
    expect(t.out()).toMatch(/\n {2}push +publish a release/);
    expect(t.err()).toBe('');
  });

  it('prints the command list on stderr and exits 2 with no arguments', async () => {
    const t = io();
    expect(await dispatch(COMMANDS, [], t.io)).toBe(2);
    expect(t.err()).toMatch(/^Usage: deployctl <command>/);
  });

  it.each([[['help', 'push']], [['push', '--help']], [['push', 'v1', '-h', '--bogus']]])('prints push help for %j', async (args) => {
    const t = io();
    expect(await dispatch(COMMANDS, args, t.io)).toBe(0);
    expect(t.out()).toBe(`${PUSH_HELP}\n`);
  });

  it('passes the arguments after the command name and returns its exit code', async () => {
    const command = probe(3);
    expect(await dispatch([command], ['probe', 'a', '--b'], io().io)).toBe(3);
    expect(command.calls).toEqual([['a', '--b']]);
  });

  it('treats --help after -- as an argument', async () => {
    const command = probe(0);
    await dispatch([command], ['probe', '--', '--help'], io().io);
    expect(command.calls).toEqual([['--', '--help']]);
  });

  it.each([
    [['deploy'], /^deployctl: unknown command "deploy" \(see 'deployctl --help'\)\n$/],
    [['help', 'deploy'], /^deployctl: unknown command "deploy"/],
    [['--store', 'x'], /^deployctl: unknown option --store: options go after the command/],
    [['push', 'v1', '--dir'], /^deployctl: option --dir needs a value \(see 'deployctl push --help'\)\n$/],
  ])('exits 2 with one line for %j', async (args, reason) => {
    const t = io();
    expect(await dispatch(COMMANDS, args, t.io)).toBe(2);
    expect(t.err()).toMatch(reason);
  });

  it('exits 1 with one line for a failure, 2 for a usage error', async () => {
    const failure = io();
    const usage = io();
    expect(await dispatch([probe(new DeployError('X', 'it broke\n  badly'))], ['probe'], failure.io)).toBe(1);
    expect(await dispatch([probe(new UsageError('bad flag'))], ['probe'], usage.io)).toBe(2);
    expect(failure.err()).toBe('deployctl: it broke badly\n');
    expect(usage.err()).toBe('deployctl: bad flag\n');
  });

  it('adds the stack and the cause with DEPLOYCTL_DEBUG=1', async () => {
    const t = io({ DEPLOYCTL_DEBUG: '1' });
    const error = new DeployError('X', 'outer', { cause: new Error('inner reason') });
    expect(await dispatch([probe(error)], ['probe'], t.io)).toBe(1);
    expect(t.err()).toMatch(/^deployctl: outer\nDeployError: outer\n\s+at [^]*caused by:\nError: inner reason\n/);
  });

  it('prints the version for --version and exits 0', async () => {
    const t = io();
    const { version } = require('../../../../package.json') as { version: string };
    expect(await dispatch(COMMANDS, ['--version'], t.io)).toBe(0);
    expect(t.out()).toBe(`deployctl ${version} (Node ${process.version})\n`);
    expect(t.err()).toBe('');
  });

  it.each([
    [['status', '--bogus', '--json'], 'USAGE', /unknown option --bogus/],
    [['releases', '--json', 'extra'], 'USAGE', /unexpected argument/],
    [['push', 'v1', '--dir', 'app', '--strategy', 'fast', '--json'], 'USAGE', /strategy/],
    [['status', '--store', 'ftp://host/x', '--json'], 'STORE_URL_INVALID', /unsupported store URL ftp:\/\/host\/x/],
    [['prune', '--keep', '3', '--store', 's3://UPPER_case/x', '--json'], 'STORE_URL_INVALID', /S3 store URL/],
  ])('exits 2 for bad arguments %j, and --json prints {"ok":false} with the code', async (args, code, reason) => {
    const t = io();
    expect(await dispatch(COMMANDS, args, t.io)).toBe(2);
    expect(JSON.parse(t.out())).toEqual({ ok: false, code, error: expect.stringMatching(reason) });
    expect(t.err().split('\n').filter(Boolean)).toHaveLength(1);
  });

  it('prints the JSON failure once when the command already printed it', async () => {
    const t = io();
    const command: Command = {
      ...probe(0),
      run: async (_args, cliIo) => {
        const { withJsonFailure } = await import('../../../../cli/run/json-failure');
        return withJsonFailure(true, cliIo.stdout, () => Promise.reject(new DeployError('X', 'broke')));
      },
    };
    expect(await dispatch([command], ['probe', '--json'], t.io)).toBe(1);
    expect(t.out()).toBe('{"ok":false,"code":"X","error":"broke"}\n');
  });
});
