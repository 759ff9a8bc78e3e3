import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { desiredSchema, type DesiredState } from '../../../agent/store/documents';
import { LocalStore } from '../../../agent/store/local-store';
import type { Versioned } from '../../../agent/store/release-store';
import { appDirSource } from '../../../cli/pack/artifact-source';
import { ProgressLines } from '../../../cli/output/progress';
import { publishRelease } from '../../../cli/publish/publish-release';
import { pushFixtures, readJson } from '../../support/cli-harness';
import { makeFixtureRelease } from '../../support/fixture-releases';

/** A real local store where a rollback to v1 lands between the push's read of desired.json and its write. */
class RacedStore extends LocalStore {
  private raced = false;

  override async readDesired(): Promise<Versioned<DesiredState> | undefined> {
    const read = await super.readDesired();
    if (!this.raced && read) {
      this.raced = true;
      await super.writeDesired({ version: 'v1', strategy: 'rolling', updatedAt: new Date().toISOString(), previous: read.value.version });
    }
    return read;
  }
}

let work: string;
beforeEach(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'deployctl-push-conflict-'));
});
afterEach(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('push and a concurrent change of desired.json', () => {
  it('keeps the release, leaves desired.json to the other writer, and says how to retry', async () => {
    const store = path.join(work, 'store');
    await pushFixtures(work, store, ['v1', 'v2']);
    const artifact = await appDirSource(makeFixtureRelease(path.join(work, 'src'), 'v3').dir, undefined);

    const attempt = publishRelease(
      new RacedStore(store),
      { version: 'v3', strategy: 'rolling', createdBy: 'test@jest', artifact },
      new ProgressLines(new PassThrough()),
    );

    await expect(attempt).rejects.toMatchObject({
      code: 'STORE_CONFLICT',
      message: expect.stringMatching(/^v3 is stored, but desired.json changed during the push \(desired.json now names v1: .*retry with 'deployctl rollback v3'$/),
    });
    expect(desiredSchema.parse(await readJson(path.join(store, 'desired.json')))).toMatchObject({ version: 'v1', previous: 'v2' });
    expect(await new LocalStore(store).readManifest('v3')).toMatchObject({ version: 'v3' });
  });
});
