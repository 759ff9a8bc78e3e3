import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { readReleaseHooks } from '../../../../agent/hooks/release-hooks-file';

describe('readReleaseHooks: where a release declares its hooks', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'deployctl-hooksfile-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('reads deployctl.json at the release root, leaving other keys (a CLI store) alone', async () => {
    writeFileSync(path.join(dir, 'deployctl.json'), JSON.stringify({ store: 's3://b/p', hooks: { prepare: 'npm run build', once: './migrate' }, hookTimeoutMs: 60_000 }));

    expect(await readReleaseHooks(dir)).toEqual({ commands: { prepare: 'npm run build', once: './migrate' }, hookTimeoutMs: 60_000, source: 'deployctl.json' });
  });

  it('falls back to the "deployctl" key of package.json, with the default timeout of 300000 ms', async () => {
    writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'app', deployctl: { hooks: { validate: './smoke' } } }));

    expect(await readReleaseHooks(dir)).toEqual({ commands: { validate: './smoke' }, hookTimeoutMs: 300_000, source: 'package.json#deployctl' });
  });

  it('declares nothing when neither file has hooks', async () => {
    writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'app' }));

    expect(await readReleaseHooks(dir)).toEqual({ commands: {}, hookTimeoutMs: 300_000, source: undefined });
  });

  it.each([
    ['an unknown hook name', { hooks: { afterlive: 'x' } }, /invalid at hooks: .*afterlive/],
    ['an empty command', { hooks: { once: '  ' } }, /invalid at hooks\.once: an empty command/],
    ['a timeout that is not a number', { hookTimeoutMs: '5m' }, /invalid at hookTimeoutMs/],
  ])('refuses %s with HOOKS_INVALID naming the field', async (_what, json, message) => {
    writeFileSync(path.join(dir, 'deployctl.json'), JSON.stringify(json));

    await expect(readReleaseHooks(dir)).rejects.toMatchObject({ code: 'HOOKS_INVALID', message: expect.stringMatching(message) });
  });

  it('refuses a deployctl.json that is not JSON', async () => {
    writeFileSync(path.join(dir, 'deployctl.json'), '{ hooks: ');

    await expect(readReleaseHooks(dir)).rejects.toMatchObject({ code: 'HOOKS_INVALID', message: expect.stringMatching(/deployctl\.json of the release is not valid JSON/) });
  });
});
