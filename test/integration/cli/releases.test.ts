import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { InstanceStatus } from '../../../agent/store/documents';
import { LocalStore } from '../../../agent/store/local-store';
import { lines, pushFixtures, runCli } from '../../support/cli-harness';

let work: string;
let store: string;
beforeEach(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'deployctl-releases-'));
  store = path.join(work, 'store');
});
afterEach(async () => {
  await rm(work, { recursive: true, force: true });
});

const push = (...versions: string[]): Promise<void> => pushFixtures(work, store, versions);

/** The report an agent running `version` writes. */
function runningReport(instanceId: string, version: string): InstanceStatus {
  return {
    instanceId,
    agentVersion: '0.1.0',
    running: version,
    desired: 'v3',
    state: 'idle',
    workers: { ready: 2, total: 2 },
    lastDeploy: null,
    updatedAt: new Date().toISOString(),
  };
}

describe('deployctl releases', () => {
  it('lists every release, oldest first, with desired/previous marks and the instances running it', async () => {
    await push('v1', 'v2', 'v3');
    const local = new LocalStore(store);
    for (const [id, version] of [['i-1', 'v2'], ['i-2', 'v3'], ['i-3', 'v3']] as const) await local.writeInstanceStatus(runningReport(id, version));
    const manifests = await local.listManifests();

    const run = await runCli(['releases', '--store', store], { cwd: work });

    expect(run).toMatchObject({ code: 0, stderr: '' });
    const [header, ...rows] = lines(run.stdout);
    expect(header).toMatch(/^VERSION +CREATED +BY +SIZE +SHA256 +MARKS +CONFIG +RUNNING ON$/);
    expect(rows).toHaveLength(3);
    const [v1, v2, v3] = manifests.map((m) => `${m.version} +${m.createdAt.replace(/\./g, '\\.')} +test@jest +\\d+(\\.\\d)? k?B +${m.sha256.slice(0, 12)}`);
    // CONFIG: '-' (no env, no secrets).
    expect(rows[0]).toMatch(new RegExp(`^${v1} +-$`));
    expect(rows[1]).toMatch(new RegExp(`^${v2} +previous +- +i-1$`));
    expect(rows[2]).toMatch(new RegExp(`^${v3} +desired +- +i-2, i-3$`));
  });

  it('--json gives every manifest with its marks and instances', async () => {
    await push('v1', 'v2');
    await new LocalStore(store).writeInstanceStatus(runningReport('i-1', 'v1'));

    const run = await runCli(['releases', '--store', store, '--json'], { cwd: work });

    expect(run.code).toBe(0);
    const { releases } = JSON.parse(run.stdout) as { releases: Record<string, unknown>[] };
    expect(releases).toEqual([
      expect.objectContaining({ version: 'v1', artifact: 'releases/v1.tar.gz', createdBy: 'test@jest', desired: false, previous: true, instances: ['i-1'] }),
      expect.objectContaining({ version: 'v2', sha256: expect.stringMatching(/^[0-9a-f]{64}$/), size: expect.any(Number), desired: true, previous: false, instances: [] }),
    ]);
  });

  it('says when the store holds no release', async () => {
    await mkdir(store);
    const run = await runCli(['releases', '--store', store], { cwd: work });

    expect(run.code).toBe(0);
    expect(lines(run.stdout)).toEqual([`no releases in ${store} yet (deployctl push <version> --dir PATH)`]);
  });
});
