import type { EventEmitter } from 'node:events';

/** What a signal can ask of the thing that owns the workers. */
export interface Stoppable {
  /** Graceful: drain and stop; resolves when everything has exited. */
  stop(): Promise<void>;
  /** Kill everything now. */
  forceStop(): void;
  /** SIGHUP: re-read the configuration. */
  reload?(): Promise<void>;
}

export interface SignalOptions {
  /** Where signals come from. @default process */
  readonly source?: EventEmitter;
  /** A graceful stop that takes longer is forced. */
  readonly stopTimeoutMs: number;
  /** Called once with the exit code; only main.ts exits the process. */
  readonly onExit: (code: number) => void;
  readonly log?: (message: string) => void;
}

/**
 * SIGTERM/SIGINT stop gracefully within `stopTimeoutMs` (exit 0); a second
 * signal, or the timeout, forces it (exit 1). SIGHUP reloads. Returns a
 * function that removes the handlers.
 */
export function handleSignals(target: Stoppable, options: SignalOptions): () => void {
  const source = options.source ?? process;
  const log = options.log ?? (() => undefined);
  let stopping = false;
  let exited = false;
  let timer: NodeJS.Timeout | undefined;

  const exit = (code: number): void => {
    if (exited) return;
    exited = true;
    if (timer) clearTimeout(timer);
    options.onExit(code);
  };

  const force = (why: string): void => {
    log(`${why}: stopping workers now`);
    target.forceStop();
    exit(1);
  };

  const onStop = (signal: string): void => {
    if (stopping) return force(`second ${signal}`);
    stopping = true;
    log(`${signal}: stopping gracefully (send it again to force)`);
    timer = setTimeout(() => force(`graceful stop took longer than ${options.stopTimeoutMs} ms`), options.stopTimeoutMs);
    target.stop().then(
      () => exit(0),
      (error: unknown) => {
        log(`graceful stop failed: ${error instanceof Error ? error.message : String(error)}`);
        force('graceful stop failed');
      },
    );
  };

  const onHup = (): void => {
    if (stopping || !target.reload) return;
    log('SIGHUP: reloading configuration');
    target.reload().catch((error: unknown) => log(`reload failed: ${error instanceof Error ? error.message : String(error)}`));
  };

  const handlers: Record<string, () => void> = {
    SIGTERM: () => onStop('SIGTERM'),
    SIGINT: () => onStop('SIGINT'),
    SIGHUP: onHup,
  };
  for (const [signal, handler] of Object.entries(handlers)) source.on(signal, handler);
  return () => {
    for (const [signal, handler] of Object.entries(handlers)) source.off(signal, handler);
  };
}
