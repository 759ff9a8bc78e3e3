import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { createLogger } from '../../../../agent/log/logger';
import { instanceReport, type InstanceReport } from '../../../../agent/status/instance-report';
import { FAILED_WRITE_RETRY_MS, StatusReporter } from '../../../../agent/status/status-reporter';
import type { InstanceStatus } from '../../../../agent/store/documents';
import { LocalStore } from '../../../../agent/store/local-store';
import { ManualClock } from '../../../support/manual-clock';
import { waitUntil, withTimeout } from '../../../support/with-timeout';

/** A real local store whose report writes can be held at a gate, counting how many run at once. */
class GatedStore extends LocalStore {
  readonly written: InstanceStatus[] = [];
  /** Writes tried, failed ones included. */
  attempts = 0;
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
    this.attempts += 1;
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

function report(state: string, workersReady = 2): InstanceReport {
  return instanceReport({
    instanceId: 'i-unit',
    agentVersion: '0.0.0-test',
    supervisor: { version: 'v1', workersReady, workersTotal: 2 },
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

  describe('on a clock the test moves (heartbeatMs 5 min)', () => {
    const HEARTBEAT_MS = 300_000;
    let clock: ManualClock;
    let step: string;
    let ready: number;

    const settle = async (): Promise<void> => {
      await withTimeout((reporter as StatusReporter).idle(), 5_000, 'the reporter to finish writing');
    };
    const start = async (): Promise<StatusReporter> => {
      clock = new ManualClock();
      step = 'idle';
      ready = 2;
      const started = new StatusReporter({ store, log: createLogger(sink), heartbeatMs: HEARTBEAT_MS, snapshot: () => report(step, ready), clock });
      reporter = started;
      started.start();
      await settle();
      return started;
    };

    it('writes when what the report says changes, and not again for the same report', async () => {
      const r = await start();
      expect(store.written).toHaveLength(1);

      for (let i = 0; i < 5; i += 1) {
        r.report(); // e.g. worker events that change nothing the report says
        await settle();
      }
      expect(store.written).toHaveLength(1);

      step = 'fetching';
      r.report();
      await settle();
      ready = 1;
      r.report();
      await settle();
      r.report();
      await settle();

      expect(store.written.map((w) => [w.state, w.workers.ready])).toEqual([
        ['idle', 2],
        ['fetching', 2],
        ['fetching', 1],
      ]);
    });

    it('heartbeats heartbeatMs after the last write while nothing changes, one write per heartbeat', async () => {
      const r = await start();
      clock.advance(HEARTBEAT_MS - 1);
      await settle();
      expect(store.written).toHaveLength(1);

      clock.advance(1);
      await settle();
      expect(store.written).toHaveLength(2);
      expect(Date.parse(store.written[1]?.updatedAt ?? '') - Date.parse(store.written[0]?.updatedAt ?? '')).toBe(HEARTBEAT_MS);

      // A change 100 s later is written at once, and the next heartbeat is counted from it.
      clock.advance(100_000);
      step = 'fetching';
      r.report();
      await settle();
      expect(store.written).toHaveLength(3);
      clock.advance(HEARTBEAT_MS - 1);
      await settle();
      expect(store.written).toHaveLength(3);
      clock.advance(1);
      await settle();
      expect(store.written).toHaveLength(4);

      // An idle hour: 12 heartbeats, nothing else.
      for (let minute = 0; minute < 60; minute += 1) {
        clock.advance(60_000);
        await settle();
      }
      expect(store.written).toHaveLength(4 + 12);
      expect(clock.pending()).toBe(1);
    });

    it('tries a failed write again after FAILED_WRITE_RETRY_MS, then goes back to the heartbeat', async () => {
      // instances/ is a file: every write of a report fails, a real store failure.
      writeFileSync(path.join(dir, 'instances'), 'not a directory');
      await start();
      expect(store.attempts).toBe(1);
      expect(store.written).toHaveLength(0);

      clock.advance(FAILED_WRITE_RETRY_MS);
      await settle();
      expect(store.attempts).toBe(2);

      rmSync(path.join(dir, 'instances'));
      clock.advance(FAILED_WRITE_RETRY_MS);
      await settle();
      expect(store.attempts).toBe(3);
      expect(store.written).toHaveLength(1);

      clock.advance(HEARTBEAT_MS - 1);
      await settle();
      expect(store.attempts).toBe(3);
      clock.advance(1);
      await settle();
      expect(store.attempts).toBe(4);
    });

    it('writes a final report on stop even when nothing changed, and leaves no heartbeat behind', async () => {
      const r = await start();
      await withTimeout(r.stop(), 5_000, 'the reporter to stop');

      expect(store.written).toHaveLength(2);
      expect(clock.pending()).toBe(0);
    });
  });
});
