import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { LocalStore } from '../../../../agent/store/local-store';
import { startAgentHarness, type AgentHarness } from '../../../support/agent-harness';
import { hostileArtifact, TYPE, type HostileEntry } from '../../../support/hostile-tar';
import { servedVersion } from '../../../support/spawned-agent';
import { waitUntil } from '../../../support/with-timeout';

/** Publishes `entries` as v2 straight into the store (no CLI: it would refuse to pack them). */
async function publishHostile(h: AgentHarness, entries: HostileEntry[]): Promise<void> {
  const artifact = hostileArtifact(entries);
  writeFileSync(path.join(h.store, 'releases', 'v2.tar.gz'), artifact.bytes);
  const store = new LocalStore(h.store);
  await store.putManifest({
    version: 'v2',
    artifact: 'releases/v2.tar.gz',
    sha256: artifact.expected.sha256,
    size: artifact.expected.size,
    createdAt: new Date().toISOString(),
    createdBy: 'attacker@test',
  });
  await store.writeDesired({ version: 'v2', strategy: 'rolling', updatedAt: new Date().toISOString(), previous: 'v1' });
}

describe('a hostile artifact reaching the agent', () => {
  let h: AgentHarness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  test.each<[string, HostileEntry[], string]>([
    ['a path climbing out with ..', [{ path: 'server.js', body: '1' }, { path: '../../escaped.txt', body: 'pwned' }], 'UNPACK_PARENT_PATH'],
    ['an absolute path', [{ path: '/tmp/escaped-abs.txt', body: 'pwned' }], 'UNPACK_ABSOLUTE_PATH'],
    [
      'a symlink out, then a file written through it',
      [
        { path: 'out', type: TYPE.symlink, linkpath: '../..' },
        { path: 'out/escaped.txt', body: 'pwned' },
      ],
      'UNPACK_UNSAFE_LINK',
    ],
    ['a character device', [{ path: 'dev-null', type: TYPE.charDevice }], 'UNPACK_UNSUPPORTED_ENTRY'],
  ])('refuses %s, keeps v1 serving, and names the reason in the log and state.json', async (_name, entries, code) => {
    h = await startAgentHarness();
    await h.push('v1');
    await h.agent.start();
    await waitUntil(async () => (await servedVersion(h?.port ?? 0)) === 'v1', 20_000, 'the agent to serve v1');
    await h.agent.settled();
    const before = readdirSync(h.work).sort();

    await publishHostile(h, entries);
    h.agent.tick();
    const stateFile = path.join(h.releasesDir, 'state.json');
    const readState = () => JSON.parse(readFileSync(stateFile, 'utf8')) as { failed?: { version?: string } | null };
    await waitUntil(() => readState().failed?.version === 'v2', 20_000, 'state.json to record the refusal of v2');
    await h.agent.settled();

    const state = readState();
    expect(state).toMatchObject({ current: 'v1', lastDeploy: { version: 'v2', result: 'failed', errorCode: code } });
    expect(h.logs).toContainEqual(expect.objectContaining({ level: 'error', version: 'v2', code }));
    // Nothing outside the release dir, no v2 directory, no temp dir left behind.
    expect(readdirSync(h.work).sort()).toEqual(before);
    expect(existsSync('/tmp/escaped-abs.txt')).toBe(false);
    expect(readdirSync(path.join(h.releasesDir, 'releases'))).toEqual(['v1']);
    expect(await servedVersion(h.port)).toBe('v1');
  });
});
