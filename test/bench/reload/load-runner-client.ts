import path from 'node:path';
import type { LoadReport } from '../../support/load/load-client';
import { LOAD } from './bench-config';
import { IpcChild } from './ipc-child';
import { asRecord, countsField, numberField, stringsField } from './ipc-protocol';

const REQUEST_TIMEOUT_MS = 5_000;
/** The load client's own stop waits for in-flight requests (10 s max) and WS closes (2 s max). */
const STOP_TIMEOUT_MS = 20_000;
const POLL_MS = 100;

/** The bench's handle on the load child process (load-runner.ts). */
export class LoadRunnerClient {
  private constructor(private readonly child: IpcChild) {}

  static async start(port: number): Promise<LoadRunnerClient> {
    const client = new LoadRunnerClient(new IpcChild('load runner', path.join(__dirname, 'load-runner.js')));
    try {
      await client.child.request('start', { port, ...LOAD }, REQUEST_TIMEOUT_MS, 'start the load');
    } catch (error: unknown) {
      await client.close();
      throw error;
    }
    return client;
  }

  async reset(): Promise<void> {
    await this.child.request('reset', null, REQUEST_TIMEOUT_MS, 'reset its counters');
  }

  async snapshot(): Promise<LoadReport> {
    return asLoadReport(await this.child.request('snapshot', null, REQUEST_TIMEOUT_MS, 'take a snapshot'));
  }

  /** Stops the load and returns its report as of then. */
  async stop(): Promise<LoadReport> {
    return asLoadReport(await this.child.request('stop', null, STOP_TIMEOUT_MS, 'stop the load'));
  }

  /** Resolves with the first snapshot that satisfies `predicate`; rejects after `timeoutMs`, naming `label`. */
  async waitFor(predicate: (report: LoadReport) => boolean, timeoutMs: number, label: string): Promise<LoadReport> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const report = await this.snapshot();
      if (predicate(report)) return report;
      if (Date.now() >= deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${label}`);
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  }

  close(): Promise<void> {
    return this.child.close();
  }
}

function asLoadReport(value: unknown): LoadReport {
  const what = 'load report';
  const r = asRecord(value, what);
  return {
    requests: numberField(r, 'requests', what),
    failedRequests: numberField(r, 'failedRequests', what),
    failures: stringsField(r, 'failures', what),
    versions: countsField(r, 'versions', what),
    latencyP50Ms: numberField(r, 'latencyP50Ms', what),
    latencyP99Ms: numberField(r, 'latencyP99Ms', what),
    wsClients: numberField(r, 'wsClients', what),
    wsConnects: numberField(r, 'wsConnects', what),
    wsCloses: numberField(r, 'wsCloses', what),
    abnormalWsCloses: numberField(r, 'abnormalWsCloses', what),
    wsCloseCodes: countsField(r, 'wsCloseCodes', what),
    wsVersionsAtEnd: countsField(r, 'wsVersionsAtEnd', what),
    wsClosesPerClient: numberField(r, 'wsClosesPerClient', what),
    wsFailures: stringsField(r, 'wsFailures', what),
  };
}
