import path from 'node:path';
import { runCommand } from '../../support/run-command';

/** `npm run lint`: every shell script of the repo under shellcheck (a Debian package). */
const repo = path.resolve(__dirname, '../../..');

describe('shell scripts', () => {
  it.each([['infra/install.sh'], ['infra/pack-agent.sh'], ['.ci/run']])('%s is shellcheck-clean', async (script) => {
    const result = await runCommand('shellcheck', ['--shell=bash', '--severity=style', path.join(repo, script)], { timeoutMs: 60_000 });

    expect(result).toEqual({ code: 0, stdout: '', stderr: '' });
  });
});
