import type { CliIo } from './cli-io';
import { formatBytes } from './format-bytes';
import type { PackProgress } from './pack';
import { ProgressBars } from './progress-bars';

/**
 * What a push reports while it packs and uploads. Packing and upload run at
 * once (the archive streams into the store), so both can be live together.
 */
export interface PushProgress {
  /** Packing starts; `total` is what the tree holds. */
  packing(total: PackProgress): void;
  /** One more file went into the archive. */
  packed(progress: PackProgress): void;
  /** Upload starts; `totalBytes` is known for --file, not for a packed dir (compression). */
  uploading(label: string, totalBytes: number | undefined): void;
  /** Bytes sent so far. */
  uploaded(bytes: number): void;
  /** Ends the report: `bytes` on success, undefined on failure. Idempotent. */
  finish(bytes: number | undefined): void;
}

/** Bars on a terminal, plain lines otherwise (DESIGN §3). Both write to stderr. */
export function createPushProgress(io: Pick<CliIo, 'stderr' | 'isTTY'>): PushProgress {
  return io.isTTY ? new ProgressBars(io.stderr) : new ProgressLines(io.stderr);
}

/** One line when packing starts, one when the upload is done: readable in CI logs. */
export class ProgressLines implements PushProgress {
  private finished = false;

  constructor(private readonly out: NodeJS.WritableStream) {}

  packing(total: PackProgress): void {
    this.out.write(`packing ${total.files} ${total.files === 1 ? 'file' : 'files'}, ${formatBytes(total.bytes)}\n`);
  }

  packed(): void {}

  /** A packed dir already had its `packing` line; a ready file gets one here. */
  uploading(label: string, totalBytes: number | undefined): void {
    if (totalBytes !== undefined) this.out.write(`uploading ${label}, ${formatBytes(totalBytes)}\n`);
  }

  uploaded(): void {}

  finish(bytes: number | undefined): void {
    if (this.finished) return;
    this.finished = true;
    if (bytes !== undefined) this.out.write(`uploaded ${formatBytes(bytes)}\n`);
  }
}
