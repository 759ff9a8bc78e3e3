import { copyFileSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import type { Manifest } from '../../../../agent/store/documents';
import { LocalStore } from '../../../../agent/store/local-store';
import { DEFAULT_PRIVATE_NAME } from '../../../../cli/commands/keygen';
import { readInstanceReport, startAgentHarness, type AgentHarness } from '../../../support/agent-harness';
import { pushFixtures, runCli } from '../../../support/cli-harness';
import { startS3Server, type S3Server } from '../../../support/s3-server';
import { makeFixtureRelease } from '../../../support/fixture-releases';
import { servedVersion } from '../../../support/spawned-agent';
import { delay, waitUntil } from '../../../support/with-timeout';

/** A key pair made with `deployctl keygen`: the private key file and the trustedKeys line it printed. */
interface KeyPair {
  readonly privateFile: string;
  readonly trustedKey: string;
  readonly keyId: string;
}

async function keygen(dir: string): Promise<KeyPair> {
  const run = await runCli(['keygen', '--out', dir, '--json'], { cwd: dir });
  if (run.code !== 0) throw new Error(`keygen failed: ${run.stderr}`);
  const result = JSON.parse(run.stdout) as { keyId: string; trustedKey: string };
  return { privateFile: path.join(dir, DEFAULT_PRIVATE_NAME), trustedKey: result.trustedKey, keyId: result.keyId };
}

/** A real local store that also remembers which artifacts the agent opened. */
class RecordingStore extends LocalStore {
  readonly opened: string[] = [];

  override openArtifact(manifest: Manifest): Promise<Readable> {
    this.opened.push(manifest.version);
    return super.openArtifact(manifest);
  }
}

const INSTANCE = 'i-signed';

describe('deploy-agent with trustedKeys', () => {
  let keys: string;
  let oldKey: KeyPair;
  let newKey: KeyPair;
  let strangerKey: KeyPair;
  let h: AgentHarness | undefined;
  let store: RecordingStore | undefined;

  beforeAll(async () => {
    keys = mkdtempSync(path.join(tmpdir(), 'deployctl-keys-'));
    oldKey = await keygen(path.join(keys, 'old'));
    newKey = await keygen(path.join(keys, 'new'));
    strangerKey = await keygen(path.join(keys, 'stranger'));
  });
  afterAll(() => rmSync(keys, { recursive: true, force: true }));
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  /** An agent trusting `trusted`, running v1 signed by `oldKey`. */
  async function startSigned(trusted: readonly KeyPair[]): Promise<AgentHarness> {
    const harness = await startAgentHarness(
      { instanceId: INSTANCE, trustedKeys: trusted.map((k) => k.trustedKey) },
      { openStore: (dir) => (store = new RecordingStore(dir)) },
    );
    h = harness;
    await push(harness, 'v1', oldKey);
    await harness.agent.start();
    await waitUntil(async () => (await servedVersion(harness.port)) === 'v1', 20_000, 'the agent to serve the signed v1');
    await harness.agent.settled();
    return harness;
  }

  function push(harness: AgentHarness, version: string, key: KeyPair | undefined): Promise<void> {
    return pushFixtures(harness.work, harness.store, [version], key ? { DEPLOYCTL_SIGN_KEY: key.privateFile } : {});
  }

  /**
   * Pushes a signed v2 to a side store, then plays an attacker with write access to the
   * fleet's store: copies v2 there with a different app (v2-evil's artifact) in place of its
   * artifact, the manifest changed by `edit`, and points desired.json at it.
   */
  async function publishTampered(harness: AgentHarness, edit: (signed: Manifest, evil: Manifest) => Manifest): Promise<{ signed: Manifest; evil: Manifest }> {
    const side = path.join(harness.work, 'side-store');
    const env = { DEPLOYCTL_SIGN_KEY: oldKey.privateFile };
    await pushFixtures(harness.work, side, ['v2'], env);
    const evilDir = makeFixtureRelease(path.join(harness.work, 'evil-src'), 'v2-evil', { mode: 'unmodified' }).dir;
    const evilPush = await runCli(['push', 'v2-evil', '--dir', evilDir, '--store', side], { cwd: harness.work });
    if (evilPush.code !== 0) throw new Error(`push v2-evil failed: ${evilPush.stderr}`);
    const manifestOf = (version: string): Manifest => JSON.parse(readFileSync(path.join(side, 'releases', `${version}.json`), 'utf8')) as Manifest;
    const signed = manifestOf('v2');
    const evil = manifestOf('v2-evil');
    expect(evil.sha256).not.toBe(signed.sha256);
    copyFileSync(path.join(side, 'releases', 'v2-evil.tar.gz'), path.join(harness.store, 'releases', 'v2.tar.gz'));
    writeFileSync(path.join(harness.store, 'releases', 'v2.json'), JSON.stringify(edit(signed, evil)));
    await new LocalStore(harness.store).writeDesired({ version: 'v2', strategy: 'rolling', updatedAt: new Date().toISOString(), previous: 'v1' });
    harness.agent.tick();
    return { signed, evil };
  }

  /** Waits for the agent to give up on `version`, then checks it kept serving v1 and never downloaded `version`. */
  async function expectRefused(harness: AgentHarness, version: string, code: string, reason: RegExp): Promise<void> {
    await waitUntil(() => readInstanceReport(harness.store, INSTANCE)?.lastDeploy?.version === version, 20_000, `the report of the ${version} deploy`);
    await harness.agent.settled();
    const report = readInstanceReport(harness.store, INSTANCE);
    expect(report).toMatchObject({
      running: 'v1',
      desired: version,
      state: 'idle',
      workers: { ready: 2, total: 2 },
      lastDeploy: { version, result: 'failed', errorCode: code, error: expect.stringMatching(reason) },
    });
    expect(await servedVersion(harness.port)).toBe('v1');
    expect(store?.opened).not.toContain(version);
    expect(readdirSync(path.join(harness.releasesDir, 'releases'))).toEqual(['v1']);
    expect(harness.logs.some((l) => l.level === 'error' && l.version === version && l.code === code)).toBe(true);

    // Not retried on every poll: only a change of desired.json brings it back.
    const attempts = (): number => harness.logs.filter((l) => l.msg === `deploying ${version}`).length;
    const before = attempts();
    await delay(800);
    expect(attempts()).toBe(before);
  }

  it('deploys a release signed with a trusted key, and logs which key verified it', async () => {
    const harness = await startSigned([oldKey]);
    await push(harness, 'v2', oldKey);
    await waitUntil(async () => (await servedVersion(harness.port)) === 'v2', 20_000, 'the agent to serve the signed v2');
    expect(harness.logs.some((l) => l.msg === `signature of v2 verified (key ${oldKey.keyId})` && l.keyId === oldKey.keyId)).toBe(true);
  });

  it('refuses an unsigned release with SIGNATURE_MISSING before downloading it, keeps serving, and takes the next signed one', async () => {
    const harness = await startSigned([oldKey]);
    await push(harness, 'v2', undefined);
    await expectRefused(harness, 'v2', 'SIGNATURE_MISSING', /releases\/v2\.json is not signed.*--sign-key/);

    await push(harness, 'v3', oldKey);
    await waitUntil(async () => (await servedVersion(harness.port)) === 'v3', 20_000, 'the agent to serve the signed v3');
  });

  it('refuses a release signed by a key it does not trust with SIGNATURE_UNTRUSTED, naming that key', async () => {
    const harness = await startSigned([oldKey]);
    await push(harness, 'v2', strangerKey);
    await expectRefused(harness, 'v2', 'SIGNATURE_UNTRUSTED', new RegExp(`signed by key ${strangerKey.keyId}, which is not one of this agent's trustedKeys \\(${oldKey.keyId}\\)`));
  });

  it('refuses a manifest edited in the store after signing with SIGNATURE_INVALID', async () => {
    const harness = await startSigned([oldKey]);
    // The sha256 and size edited to match the swapped-in artifact: the signature no longer holds.
    await publishTampered(harness, (signed, evil) => ({ ...signed, sha256: evil.sha256, size: evil.size }));

    await expectRefused(harness, 'v2', 'SIGNATURE_INVALID', /releases\/v2\.json does not match its signature by key .*changed after it was signed/);
  });

  it('refuses an artifact swapped under an intact signed manifest: the signed size and sha256 no longer match', async () => {
    const harness = await startSigned([oldKey]);
    // The manifest left as signed: it verifies, and its sha256 refuses the swapped artifact.
    const { signed, evil } = await publishTampered(harness, (manifest) => manifest);
    // Which check refuses it first depends on the swapped artifact's size: reading stops as soon as it
    // passes the signed size; a shorter one fails the size check; one of equal size fails the hash.
    const expectedCode = evil.size > signed.size ? 'ARTIFACT_TOO_LARGE' : evil.size < signed.size ? 'ARTIFACT_SIZE_MISMATCH' : 'ARTIFACT_HASH_MISMATCH';

    await waitUntil(() => readInstanceReport(harness.store, INSTANCE)?.lastDeploy?.version === 'v2', 20_000, 'the report of the v2 deploy');
    await harness.agent.settled();
    expect(readInstanceReport(harness.store, INSTANCE)?.lastDeploy).toMatchObject({ result: 'failed', errorCode: expectedCode });
    expect(harness.logs.some((l) => l.msg === `signature of v2 verified (key ${oldKey.keyId})`)).toBe(true);
    expect(await servedVersion(harness.port)).toBe('v1');
    expect(readdirSync(path.join(harness.releasesDir, 'releases'))).toEqual(['v1']);
  });

  it('rotates keys: with the old and the new key trusted, releases signed by either deploy', async () => {
    const harness = await startSigned([oldKey, newKey]);
    await push(harness, 'v2', newKey);
    await waitUntil(async () => (await servedVersion(harness.port)) === 'v2', 20_000, 'the agent to serve v2 (new key)');
    // Rolling back to v1 (old key) still passes verification.
    expect((await runCli(['rollback', 'v1', '--store', harness.store], { cwd: harness.work })).code).toBe(0);
    await waitUntil(async () => (await servedVersion(harness.port)) === 'v1', 20_000, 'the agent to serve v1 again (old key)');
    await harness.agent.settled();
    expect(harness.logs.filter((l) => typeof l.keyId === 'string').map((l) => [l.version, l.keyId])).toEqual([
      ['v1', oldKey.keyId],
      ['v2', newKey.keyId],
      ['v1', oldKey.keyId],
    ]);
  });

  it('trusts a key added to the config by a reload (SIGHUP), without a restart', async () => {
    const harness = await startSigned([oldKey]);
    await push(harness, 'v2', newKey);
    await expectRefused(harness, 'v2', 'SIGNATURE_UNTRUSTED', new RegExp(`signed by key ${newKey.keyId}`));

    const configPath = path.join(harness.work, 'agent.json');
    const config = JSON.parse(readFileSync(configPath, 'utf8')) as Record<string, unknown>;
    writeFileSync(configPath, JSON.stringify({ ...config, trustedKeys: [oldKey.trustedKey, newKey.trustedKey] }));
    await harness.agent.reload();
    await push(harness, 'v3', newKey);
    await waitUntil(async () => (await servedVersion(harness.port)) === 'v3', 20_000, 'the agent to serve v3 (key added by reload)');
  });

  describe('on an S3 store', () => {
    let s3: S3Server;
    beforeAll(async () => {
      s3 = await startS3Server();
      await s3.bucket('signed');
    });
    afterAll(async () => {
      await s3.stop();
    });

    it('deploys a signed release and refuses an unsigned one without downloading its artifact', async () => {
      const cliEnv = { DEPLOYCTL_S3_ENDPOINT: s3.endpoint, DEPLOYCTL_S3_FORCE_PATH_STYLE: '1', AWS_REGION: 'us-east-1' };
      const url = 's3://signed/app';
      const harness = await startAgentHarness({ store: url, s3: s3.options, trustedKeys: [oldKey.trustedKey] }, { store: url, cliEnv });
      h = harness;
      await pushFixtures(harness.work, url, ['v1'], { ...cliEnv, DEPLOYCTL_SIGN_KEY: oldKey.privateFile });
      await harness.agent.start();
      await waitUntil(async () => (await servedVersion(harness.port)) === 'v1', 20_000, 'the agent to serve the signed v1 from S3');
      await harness.agent.settled();

      s3.clearRequests();
      await pushFixtures(harness.work, url, ['v2'], cliEnv);
      await waitUntil(() => harness.agent.status.agent?.lastDeploy?.version === 'v2', 20_000, 'the v2 deploy to end');
      await harness.agent.settled();

      expect(harness.agent.status.agent?.lastDeploy).toMatchObject({ result: 'failed', errorCode: 'SIGNATURE_MISSING' });
      expect(await servedVersion(harness.port)).toBe('v1');
      // The agent read v2's manifest (the push's own check of it found nothing: 404), never its artifact.
      const gets = s3.requests.filter((r) => r.operation === 'GetObject');
      expect(gets.some((r) => r.key === 'app/releases/v2.json' && r.status === 200)).toBe(true);
      expect(gets.map((r) => r.key)).not.toContain('app/releases/v2.tar.gz');
    });
  });
});
