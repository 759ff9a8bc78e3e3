/**
 * Child process: the load (HTTP keep-alive + fresh-connection loops and
 * WebSocket clients), so that generating it does not share an event loop with
 * the primary under test.
 *
 *   start {port, keepAliveConcurrency, freshConcurrency, wsClients} → {}
 *   reset    → {}          (a new measurement window)
 *   snapshot → LoadReport
 *   stop     → LoadReport  (as of stop time)
 *
 * Closing the channel stops the load and exits.
 */
import { startLoad, type LoadHandle } from '../../support/load/load-client';
import { asRecord, numberField } from './ipc-protocol';
import { serveIpc } from './ipc-serve';

let load: LoadHandle | undefined;

function running(): LoadHandle {
  if (!load) throw new Error('the load is not started');
  return load;
}

async function start(args: unknown): Promise<unknown> {
  if (load) throw new Error('the load is already started');
  const record = asRecord(args, 'start');
  load = startLoad({
    port: numberField(record, 'port', 'start'),
    keepAliveConcurrency: numberField(record, 'keepAliveConcurrency', 'start'),
    freshConcurrency: numberField(record, 'freshConcurrency', 'start'),
    wsClients: numberField(record, 'wsClients', 'start'),
  });
  return {};
}

async function reset(): Promise<unknown> {
  running().resetCounters();
  return {};
}

async function snapshot(): Promise<unknown> {
  return running().snapshot();
}

async function stop(): Promise<unknown> {
  return running().stop();
}

serveIpc({ start, reset, snapshot, stop }, () => {
  // Parent gone: stop the load (bounded by its request timeout), then leave.
  const exit = (): never => process.exit(0);
  if (!load) exit();
  else void load.stop().finally(exit);
  setTimeout(exit, 3000).unref();
});
