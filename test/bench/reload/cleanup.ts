import { errorMessage } from './ipc-protocol';

type Task = () => Promise<void>;

/** How long all cleanup tasks together may take before the bench gives up on them. */
const CLEANUP_TIMEOUT_MS = 30_000;

const tasks = new Map<number, { label: string; run: Task }>();
let nextId = 1;
let running: Promise<void> | undefined;

/**
 * Registers something that must be undone however the bench ends (child
 * processes, pm2 daemons, temp dirs). Returns the function that unregisters it,
 * for when it was undone the normal way.
 */
export function onCleanup(label: string, run: Task): () => void {
  const id = nextId++;
  tasks.set(id, { label, run });
  return () => {
    tasks.delete(id);
  };
}

/** Runs every registered task (newest first, concurrently within the time limit); idempotent. */
export function cleanupAll(): Promise<void> {
  running ??= runAll();
  return running;
}

async function runAll(): Promise<void> {
  const pending = [...tasks.values()].reverse();
  tasks.clear();
  const all = Promise.all(
    pending.map(async ({ label, run }) => {
      try {
        await run();
      } catch (error: unknown) {
        process.stderr.write(`cleanup: ${label} failed: ${errorMessage(error)}\n`);
      }
    }),
  );
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      process.stderr.write(`cleanup: timed out after ${CLEANUP_TIMEOUT_MS} ms waiting for ${pending.map((t) => t.label).join(', ')}\n`);
      resolve();
    }, CLEANUP_TIMEOUT_MS);
  });
  await Promise.race([all, limit]);
  clearTimeout(timer);
}

let signalled = false;

/** True once SIGINT/SIGTERM arrived (failures after it are its consequence). */
export function isSignalled(): boolean {
  return signalled;
}

/** On SIGINT/SIGTERM: clean up, then exit 130/143. A second signal exits at once. */
export function cleanupOnSignals(): void {
  const handler = (signal: NodeJS.Signals): void => {
    if (signalled) process.exit(1);
    signalled = true;
    process.stderr.write(`bench: ${signal}: stopping children and pm2 daemons\n`);
    void cleanupAll().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
}
