import { fork, type ChildProcess } from 'node:child_process';
import { onCleanup } from './cleanup';
import { isIpcReply, type IpcRequest } from './ipc-protocol';

/** How long a child may take to exit after its channel closed, before SIGKILL. */
const EXIT_TIMEOUT_MS = 10_000;

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

/**
 * The parent side of one bench child process: requests with a timeout each,
 * and a close that always ends the process (SIGKILL if it will not go). The
 * child's stdout goes to our stderr, so the bench's stdout stays table + JSON.
 */
export class IpcChild {
  private readonly child: ChildProcess;
  private readonly pending = new Map<number, Pending>();
  private readonly exited: Promise<void>;
  private nextId = 1;
  private exitDescription: string | undefined;
  private closing: Promise<void> | undefined;
  private readonly unregister: () => void;

  /** `execArgv`: node's own flags for the child, instead of this process's (the default). */
  constructor(
    readonly name: string,
    modulePath: string,
    execArgv: readonly string[] = process.execArgv,
  ) {
    this.child = fork(modulePath, [], { stdio: ['ignore', 'pipe', 'inherit', 'ipc'], execArgv: [...execArgv] });
    this.child.stdout?.on('data', (chunk: Buffer) => process.stderr.write(chunk));
    this.child.on('message', (message: unknown) => this.onMessage(message));
    this.child.on('error', (error) => process.stderr.write(`${name}: ${error.message}\n`));
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code, signal) => {
        this.exitDescription = signal ? `was killed by ${signal}` : `exited with code ${code}`;
        this.rejectAll(new Error(`${name} ${this.exitDescription}`));
        resolve();
      });
    });
    this.unregister = onCleanup(`${name} (pid ${this.child.pid})`, () => this.close());
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Sends `cmd` and resolves with the child's result; rejects on its error, its exit, or after `timeoutMs`. */
  request(cmd: string, args: unknown, timeoutMs: number, label: string): Promise<unknown> {
    if (this.exitDescription !== undefined) {
      return Promise.reject(new Error(`${this.name} ${this.exitDescription} before ${label}`));
    }
    const id = this.nextId++;
    return new Promise<unknown>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${this.name} to ${label}`));
      }, timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      const request: IpcRequest = { id, cmd, args };
      this.child.send(request, (error) => {
        if (!error) return;
        clearTimeout(timer);
        this.pending.delete(id);
        reject(new Error(`${this.name}: could not send ${cmd}: ${error.message}`));
      });
    });
  }

  /** Closes the channel (the child stops what it runs and exits), SIGKILL after a timeout. Idempotent. */
  close(): Promise<void> {
    this.closing ??= this.closeNow();
    return this.closing;
  }

  private async closeNow(): Promise<void> {
    this.unregister();
    if (this.exitDescription === undefined) {
      if (this.child.connected) this.child.disconnect();
      const timer = setTimeout(() => {
        process.stderr.write(`${this.name}: timed out after ${EXIT_TIMEOUT_MS} ms waiting for it to exit; SIGKILL\n`);
        this.child.kill('SIGKILL');
      }, EXIT_TIMEOUT_MS);
      await this.exited;
      clearTimeout(timer);
    }
  }

  private onMessage(message: unknown): void {
    if (!isIpcReply(message)) return;
    const entry = this.pending.get(message.id);
    if (!entry) return;
    this.pending.delete(message.id);
    clearTimeout(entry.timer);
    if (message.ok) entry.resolve(message.result);
    else entry.reject(new Error(`${this.name}: ${message.error}`));
  }

  private rejectAll(error: Error): void {
    for (const entry of this.pending.values()) {
      clearTimeout(entry.timer);
      entry.reject(error);
    }
    this.pending.clear();
  }
}
