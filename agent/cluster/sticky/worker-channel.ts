import cluster, { type Worker } from 'node:cluster';
import type { Socket } from 'node:net';

/**
 * The primary's IPC with its workers, as the sticky router needs it: their
 * messages, their exits, and sending a message with a socket handle. Keyed by
 * the cluster worker id (`WorkerProcess.id`).
 */
export interface WorkerChannel {
  onMessage(listener: (id: number, message: unknown) => void): void;
  onExit(listener: (id: number) => void): void;
  /** False when the worker is gone or its IPC channel is closed. */
  connected(id: number): boolean;
  /** Sends `message` (and `socket`, whose handle moves to the worker); false when it could not. */
  send(id: number, message: object, socket?: Socket): boolean;
  close(): void;
}

/**
 * node:cluster behind WorkerChannel. It keeps each Worker from its 'fork' on:
 * a retired worker leaves `cluster.workers` at once (worker.disconnect()), yet
 * still serves its sessions over IPC until it exits.
 */
export class ClusterWorkerChannel implements WorkerChannel {
  private readonly workers = new Map<number, Worker>();
  private readonly messageListeners: ((id: number, message: unknown) => void)[] = [];
  private readonly exitListeners: ((id: number) => void)[] = [];
  private readonly onFork = (worker: Worker): void => {
    this.workers.set(worker.id, worker);
  };
  private readonly onClusterMessage = (worker: Worker, message: unknown): void => {
    for (const listener of this.messageListeners) listener(worker.id, message);
  };
  private readonly onClusterExit = (worker: Worker): void => {
    this.workers.delete(worker.id);
    for (const listener of this.exitListeners) listener(worker.id);
  };

  constructor() {
    for (const worker of Object.values(cluster.workers ?? {})) if (worker) this.workers.set(worker.id, worker);
    cluster.on('fork', this.onFork);
    cluster.on('message', this.onClusterMessage);
    cluster.on('exit', this.onClusterExit);
  }

  onMessage(listener: (id: number, message: unknown) => void): void {
    this.messageListeners.push(listener);
  }

  onExit(listener: (id: number) => void): void {
    this.exitListeners.push(listener);
  }

  connected(id: number): boolean {
    return this.workers.get(id)?.isConnected() === true;
  }

  send(id: number, message: object, socket?: Socket): boolean {
    const worker = this.workers.get(id);
    if (!worker?.isConnected()) return false;
    try {
      // send() returns false also when it merely queued the message (handles go one at a
      // time, each waiting for the worker's ack): that is not a failure. The callback
      // swallows a late failure (the worker died meanwhile): the client sees a reset.
      if (socket) worker.send(message as never, socket, { keepOpen: false }, () => undefined);
      else worker.send(message as never, undefined, () => undefined);
      return true;
    } catch {
      return false;
    }
  }

  close(): void {
    cluster.off('fork', this.onFork);
    cluster.off('message', this.onClusterMessage);
    cluster.off('exit', this.onClusterExit);
    this.workers.clear();
  }
}
