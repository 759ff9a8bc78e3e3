/** Small promise/timer helpers for tests. Every timer they create is cleared, so jest can exit. */

function timeoutError(ms: number, label: string): Error {
  return new Error(`timed out after ${ms} ms waiting for ${label}`);
}

/** Settles like `promise`, or rejects with a timeout error after `ms`; the timer is always cleared. */
export function withTimeout<T>(promise: Promise<T>, ms: number, label: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(timeoutError(ms, label)), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(err);
      },
    );
  });
}

/**
 * Resolves once `predicate()` returns true (checked immediately, then every `intervalMs`).
 * Rejects with a timeout error after `timeoutMs`, or with whatever the predicate throws.
 */
export async function waitUntil(
  predicate: () => boolean | Promise<boolean>,
  timeoutMs: number,
  label: string,
  intervalMs = 20,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await predicate()) return;
    const remaining = deadline - Date.now();
    if (remaining <= 0) throw timeoutError(timeoutMs, label);
    await delay(Math.min(intervalMs, remaining));
  }
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
