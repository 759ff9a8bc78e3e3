/**
 * What a command may touch of its process: the two output streams, the
 * environment, the working directory and whether progress goes to a terminal.
 * `main.ts` builds it from `process`; tests build it from buffers, so every
 * command runs in-process.
 */
export interface CliIo {
  readonly stdout: NodeJS.WritableStream;
  /** Progress bars, plain progress lines and error lines go here. */
  readonly stderr: NodeJS.WritableStream;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Relative paths (--dir, --file, a local store) resolve against this. */
  readonly cwd: string;
  /** True when stderr is a terminal: progress bars instead of plain lines. */
  readonly isTTY: boolean;
  /**
   * Ends commands that run until interrupted (`status --watch`). Unset, such
   * a command stops on SIGINT (Ctrl-C) itself; tests pass their own.
   */
  readonly signal?: AbortSignal;
}
