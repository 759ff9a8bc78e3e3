import { PassThrough } from 'node:stream';
import { dispatch } from '../../../cli/run/dispatch';
import { COMMANDS } from '../../../cli/main';

async function helpOf(args: string[]): Promise<{ code: number; out: string }> {
  const stdout = new PassThrough();
  const chunks: Buffer[] = [];
  stdout.on('data', (c: Buffer) => chunks.push(c));
  const code = await dispatch(COMMANDS, args, { stdout, stderr: new PassThrough(), env: {}, cwd: '/nonexistent', isTTY: false });
  return { code, out: Buffer.concat(chunks).toString() };
}

describe('the command table', () => {
  it('has push, rollback, rollout, history, status, releases, prune and keygen', () => {
    expect(COMMANDS.map((c) => c.name)).toEqual(['push', 'rollback', 'rollout', 'history', 'status', 'releases', 'prune', 'keygen']);
  });

  it.each(COMMANDS.map((c) => [c.name, c] as const))('prints the help of %s beside its synopsis in the list', async (name, command) => {
    const list = await helpOf(['--help']);
    expect(list.out).toContain(`  ${name}`);
    expect(list.out).toContain(command.synopsis);

    const help = await helpOf([name, '--help']);
    expect(help).toEqual({ code: 0, out: `${command.help}\n` });
    expect(command.help).toMatch(new RegExp(`^Usage: deployctl ${name}`));
    // keygen works on local files only; every other command reads or writes a store.
    expect(command.help.includes('--store URL')).toBe(name !== 'keygen');
    expect(command.help).toMatch(/Exit status: 0 /);
  });
});
