/**
 * The signal that ends a command running until interrupted: the caller's own
 * (CliIo.signal), else one aborted by SIGINT (Ctrl-C) for as long as it is
 * held. `release` removes the SIGINT listener, so Ctrl-C works as usual again.
 */
export function holdInterrupt(given: AbortSignal | undefined): { readonly signal: AbortSignal; release(): void } {
  if (given) return { signal: given, release: () => undefined };
  const controller = new AbortController();
  const onInterrupt = (): void => controller.abort();
  process.once('SIGINT', onInterrupt);
  return { signal: controller.signal, release: () => process.removeListener('SIGINT', onInterrupt) };
}

/** Resolves after `ms`, or at once when `signal` aborts. */
export function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
