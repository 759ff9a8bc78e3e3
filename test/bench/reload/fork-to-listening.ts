import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from '../../support/free-port';
import { makeFixtureRelease } from '../../support/fixture-releases';
import { BOOT_MS, FORK_PROBE_SAMPLES, REQUEST_MS } from './bench-config';
import { onCleanup } from './cleanup';
import { IpcChild } from './ipc-child';
import { asRecord, numberField } from './ipc-protocol';

const PROBE_TIMEOUT_MS = 60_000;

/**
 * forkToListeningMs: the median of FORK_PROBE_SAMPLES `cluster.fork()` →
 * 'listening' times of one graceful fixture worker, in a fresh child process
 * (fork-probe.ts), one at a time, with nothing else running.
 */
export async function measureForkToListening(): Promise<{ medianMs: number; samplesMs: unknown }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'deployctl-bench-probe-'));
  const unregister = onCleanup(`temp dir ${dir}`, async () => rmSync(dir, { recursive: true, force: true }));
  const probe = new IpcChild('fork probe', path.join(__dirname, 'fork-probe.js'));
  try {
    const release = makeFixtureRelease(dir, 'probe', { mode: 'graceful', bootMs: BOOT_MS, requestMs: REQUEST_MS });
    const args = { port: await freePort(), samples: FORK_PROBE_SAMPLES, release };
    const reply = asRecord(
      await probe.request('probe', args, PROBE_TIMEOUT_MS, `fork ${FORK_PROBE_SAMPLES} workers one at a time`),
      'probe result',
    );
    return { medianMs: numberField(reply, 'medianMs', 'probe result'), samplesMs: reply['samplesMs'] };
  } finally {
    await probe.close();
    unregister();
    rmSync(dir, { recursive: true, force: true });
  }
}
