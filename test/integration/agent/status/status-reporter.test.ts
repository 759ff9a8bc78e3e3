import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { createLogger } from '../../../../agent/log/logger';
import { instanceReport, type InstanceReport } from '../../../../agent/status/instance-report';
import { StatusReporter } from '../../../../agent/status/status-reporter';
import type { InstanceStatus } from '../../../../agent/store/documents';
import { LocalStore } from '../../../../agent/store/local-store';
import { waitUntil, withTimeout } from '../../../support/with-timeout';

/** A real local store whose report writes can be held at a gate, counting how many run at once. */
class GatedStore extends LocalStore {
  readonly written: InstanceStatus[] = [];
  maxInFlight = 0;
  private inFlight = 0;
  private gate: Promise<void> | undefined;
  private open: (() => void) | undefined;

  hold(): void {
    this.gate = new Promise((resolve) => (this.open = resolve));
  }

  release(): void {
    this.open?.();
    this.gate = undefined;
  }

  override async writeInstanceStatus(status: InstanceStatus): Promise<void> {
    this.inFlight += 1;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      await this.gate;
      await super.writeInstanceStatus(status);
      this.written.push(status);
    } finally {
      this.inFlight -= 1;
    }
  }
}

function report(state: string): InstanceReport {
  return instanceReport({
    instanceId: 'i-unit',
    agentVersion: '0.0.0-test',
    supervisor: { version: 'v1', workersReady: 2, workersTotal: 2 },
    agent: { state, lastDeploy: null },
    desired: 'v1',
    stopped: false,
  });
}

describe('StatusReporter', () => {
  let dir: string;
  let store: GatedStore;
  let reporter: StatusReporter | undefined;
  const logs: Record<string, unknown>[] = [];
  const sink = new PassThrough();
  sink.on('data', (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n')) if (line.trim()) logs.push(JSON.parse(line) as Record<string, unknown>);
  });

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'deployctl-reporter-'));
    store = new GatedStore(dir);
  });

  afterEach(async () => {
    store.release();
    await reporter?.stop();
    await reporter?.idle(); // a write released from the gate ends before its directory goes
    reporter = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  it('never writes twice at once, and folds the requests made during a write into one write of the latest state', async () => {
    let step = 'idle';
    reporter = new StatusReporter({ store, log: createLogger(sink), heartbeatMs: 60_000, snapshot: () => report(step) });
    store.hold();
    reporter.start(); // the first write waits at the gate
    for (const next of ['fetching', 'unpacking', 'rolling']) {
      step = next;
      reporter.report();
    }
    store.release();
    await withTimeout(reporter.idle(), 5_000, 'the reporter to finish writing');

    expect(store.written.map((s) => s.state)).toEqual(['idle', 'rolling']);
    expect(store.maxInFlight).toBe(1);
    const onDisk = JSON.parse(readFileSync(path.join(dir, 'instances', 'i-unit.json'), 'utf8')) as InstanceStatus;
    expect(onDisk.state).toBe('rolling');
  });

  it('writes on its heartbeat, and stops it on stop after a final report', async () => {
    reporter = new StatusReporter({ store, log: createLogger(sink), heartbeatMs: 50, snapshot: () => report('idle') });
    reporter.start();
    await waitUntil(() => store.written.length >= 3, 5_000, 'three heartbeat reports');

    await withTimeout(reporter.stop(), 5_000, 'the reporter to stop');
    const afterStop = store.written.length;
    reporter.report();
    await new Promise((resolve) => setTimeout(resolve, 300));

    expect(store.written.length).toBe(afterStop);
  });

  it('does not hold up stop beyond finalReportTimeoutMs when the store hangs', async () => {
    reporter = new StatusReporter({ store, log: createLogger(sink), heartbeatMs: 60_000, snapshot: () => report('idle'), finalReportTimeoutMs: 100 });
    store.hold();
    reporter.start();
    const started = Date.now();

    await withTimeout(reporter.stop(), 5_000, 'stop with a hanging store');

    expect(Date.now() - started).toBeLessThan(2_000);
    expect(store.written).toEqual([]);
  });
});
