import type { CliIo } from '../run/cli-io';
import { formatBytes } from './format-bytes';
import type { PackProgress } from '../pack/pack';
import { ProgressBars } from './progress-bars';
import type { PushProgress } from './push-progress';

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
