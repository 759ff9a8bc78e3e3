import type { Socket } from 'node:net';
import { headEnd, parseRequestHead, type RequestHead } from './request-head';

export interface FirstHead {
  /** Every byte read from the connection (the head, and whatever came with it). */
  readonly bytes: Buffer;
  /** Undefined when the bytes are not an HTTP/1 head (or it did not complete in time). */
  readonly head: RequestHead | undefined;
}

export interface HeadReaderOptions {
  /** A head longer than this is handed over unparsed (the app answers it). */
  readonly maxHeadBytes: number;
  /** A client silent this long is handed over with what it sent (nothing, maybe). */
  readonly headTimeoutMs: number;
}

/**
 * Reads a paused, just-accepted socket until its first request head is
 * complete, then stops reading at the handle (not only the stream), so every
 * byte not read yet stays in the kernel for the worker the socket goes to.
 * Calls `done` once, or never when the client goes away first.
 */
export function readFirstHead(socket: Socket, options: HeadReaderOptions, done: (first: FirstHead) => void): void {
  const chunks: Buffer[] = [];
  let size = 0;
  let finished = false;
  const finish = (complete: boolean): void => {
    if (finished) return;
    finished = true;
    clearTimeout(timer);
    socket.off('data', onData);
    socket.off('close', onClose);
    stopReading(socket);
    const bytes = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks);
    const end = complete ? headEnd(bytes) : 0;
    done({ bytes, head: end > 0 ? parseRequestHead(bytes.subarray(0, end)) : undefined });
  };
  const onData = (chunk: Buffer): void => {
    chunks.push(chunk);
    size += chunk.length;
    const end = headEnd(chunks.length === 1 ? chunk : Buffer.concat(chunks));
    if (end >= 0 || size >= options.maxHeadBytes) finish(end > 0);
  };
  const onClose = (): void => {
    finished = true;
    clearTimeout(timer);
  };
  const timer = setTimeout(() => finish(false), options.headTimeoutMs);
  socket.on('data', onData);
  socket.once('close', onClose);
  socket.resume();
}

type StreamHandle = { reading?: boolean; readStop?: () => number };

/** Pauses the stream and its handle: Readable#pause alone lets the handle read on into the stream's buffer. */
function stopReading(socket: Socket): void {
  socket.pause();
  const handle = (socket as unknown as { _handle?: StreamHandle | null })._handle;
  if (handle?.readStop) {
    handle.reading = false;
    handle.readStop();
  }
}
