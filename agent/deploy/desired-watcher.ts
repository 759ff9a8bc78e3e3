import path from 'node:path';
import { watch, type FSWatcher } from 'chokidar';

export interface DesiredWatcherOptions {
  /** Polling period; each tick is moved by up to ±20 % so a fleet does not poll in step. */
  readonly pollIntervalMs: number;
  /** A local store's directory, watched for changes to desired.json (poll stays as the fallback). */
  readonly localDir: string | undefined;
  readonly onTick: () => void;
}

/** Calls `onTick` on every poll period and whenever a local desired.json changes. */
export class DesiredWatcher {
  private timer: NodeJS.Timeout | undefined;
  private fsWatcher: FSWatcher | undefined;
  private stopped = false;

  constructor(private readonly options: DesiredWatcherOptions) {}

  start(): void {
    this.schedule();
    if (this.options.localDir) {
      const file = path.join(this.options.localDir, 'desired.json');
      this.fsWatcher = watch(this.options.localDir, { depth: 0, ignoreInitial: true, awaitWriteFinish: false });
      this.fsWatcher.on('all', (_event, changed) => {
        if (path.resolve(changed) === file) this.options.onTick();
      });
      this.fsWatcher.on('error', () => undefined); // the poll still runs
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.fsWatcher?.close();
  }

  private schedule(): void {
    if (this.stopped) return;
    const jitter = 1 + (Math.random() * 0.4 - 0.2);
    this.timer = setTimeout(() => {
      this.options.onTick();
      this.schedule();
    }, Math.round(this.options.pollIntervalMs * jitter));
  }
}
