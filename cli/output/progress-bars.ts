import { MultiBar, Presets, type SingleBar } from 'cli-progress';
import { formatBytes } from './format-bytes';
import type { PackProgress } from '../pack/pack';
import type { PushProgress } from './push-progress';

/**
 * cli-progress bars on a terminal: one for packing (files), one for the upload
 * (bytes; a plain counter when the compressed size is not known in advance).
 */
export class ProgressBars implements PushProgress {
  private readonly bars: MultiBar;
  private packBar: SingleBar | undefined;
  private packTotal: PackProgress = { files: 0, bytes: 0 };
  private uploadBar: SingleBar | undefined;
  private uploadLabel = '';
  private uploadTotal: number | undefined;
  private finished = false;

  constructor(stream: NodeJS.WritableStream) {
    this.bars = new MultiBar({
      stream,
      hideCursor: true,
      clearOnComplete: false,
      gracefulExit: false,
      barsize: 30,
      format: '{label} [{bar}] {percentage}% | {detail}',
    }, Presets.shades_classic);
  }

  packing(total: PackProgress): void {
    this.packTotal = total;
    this.packBar = this.bars.create(total.files, 0, { label: 'packing  ', detail: this.packDetail({ files: 0, bytes: 0 }) });
  }

  packed(progress: PackProgress): void {
    this.packBar?.update(progress.files, { detail: this.packDetail(progress) });
  }

  uploading(label: string, totalBytes: number | undefined): void {
    this.uploadLabel = label;
    this.uploadTotal = totalBytes;
    const payload = { label: 'uploading', detail: this.uploadDetail(0) };
    this.uploadBar = this.bars.create(totalBytes ?? 0, 0, payload, totalBytes === undefined ? { format: '{label} {detail}' } : {});
  }

  uploaded(bytes: number): void {
    this.uploadBar?.update(bytes, { detail: this.uploadDetail(bytes) });
  }

  finish(bytes: number | undefined): void {
    if (this.finished) return;
    this.finished = true;
    if (bytes !== undefined) {
      this.packBar?.update(this.packTotal.files, { detail: this.packDetail(this.packTotal) });
      this.uploadBar?.update(bytes, { detail: this.uploadDetail(bytes) });
    }
    this.bars.stop();
  }

  private packDetail(progress: PackProgress): string {
    return `${progress.files}/${this.packTotal.files} files, ${formatBytes(progress.bytes)} of ${formatBytes(this.packTotal.bytes)}`;
  }

  private uploadDetail(bytes: number): string {
    const amount = this.uploadTotal === undefined ? formatBytes(bytes) : `${formatBytes(bytes)} of ${formatBytes(this.uploadTotal)}`;
    return `${amount} (${this.uploadLabel})`;
  }
}
