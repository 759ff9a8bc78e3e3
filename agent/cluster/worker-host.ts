/**
 * Forking a worker is a side effect: the supervisor only sees this interface,
 * so the same code runs against `node:cluster` (cluster-host.ts) and anything
 * a test wants to stand in for it.
 */
export interface ForkSpec {
  /** Absolute path of the file the worker runs. */
  readonly entryPath: string;
  /** Working directory of the worker (the release directory). */
  readonly cwd: string;
  /** Complete environment of the worker. */
  readonly env: Readonly<Record<string, string>>;
  /** Node options, e.g. `--require <drain preload>`: exactly these, never the agent's own. */
  readonly execArgv: readonly string[];
  /** The worker's command-line arguments (`process.argv.slice(2)`): exactly these, never the agent's own. */
  readonly args: readonly string[];
  /** Run the worker as this user and group id (the primary must be root). */
  readonly uid?: number;
  readonly gid?: number;
}

export interface WorkerExit {
  readonly code: number | null;
  readonly signal: string | null;
}

/** Where a worker listens, as the cluster's `'listening'` event says (`port` is absent for a unix socket). */
export interface ListenAddress {
  readonly address: string | null;
  readonly port: number | undefined;
  /** 4, 6, -1 (unix socket), 'udp4' or 'udp6'. */
  readonly addressType: number | string | undefined;
}

/** The events of one worker process, in the names `node:cluster` uses. */
export interface WorkerEvents {
  online: () => void;
  listening: (address: ListenAddress) => void;
  message: (message: unknown) => void;
  disconnect: () => void;
  exit: (exit: WorkerExit) => void;
  /** A chunk the worker wrote to stderr. */
  stderr: (chunk: Buffer) => void;
  /** A chunk the worker wrote to stdout. */
  stdout: (chunk: Buffer) => void;
}

export interface WorkerProcess {
  readonly id: number;
  readonly pid: number | undefined;
  on<E extends keyof WorkerEvents>(event: E, listener: WorkerEvents[E]): void;
  /** Sends over IPC (the app sees it); returns false when the channel is already gone. */
  send(message: unknown): boolean;
  /**
   * Sends to the drain preload over its own pipe (fd `CONTROL_FD`), which stays
   * open after the cluster's IPC channel is gone: an app that closes its server
   * on 'shutdown' loses IPC at once, while it still holds WebSockets.
   */
  control(message: unknown): boolean;
  isConnected(): boolean;
  /** `worker.disconnect()`: stop routing connections to it and close its servers. */
  disconnect(): void;
  /** Signals the process (SIGTERM unless told otherwise). */
  kill(signal?: NodeJS.Signals): void;
}

/** The worker's file descriptor of the control pipe (stdio index). */
export const CONTROL_FD = 4;

export interface WorkerHost {
  fork(spec: ForkSpec): WorkerProcess;
}
