// @ts-check
'use strict';
/**
 * An entry writer thread: a worker_threads worker, one of a few that entry-write-queue.ts starts
 * for one unpack. It performs, in order and with synchronous syscalls, the filesystem operations
 * the main thread's EntryExtractor already checked (path, type, placement, links, limits): it
 * decides nothing itself. Doing them here, without a thread-pool round trip per open, write and
 * close, in a few threads side by side (each its own directories), while the main thread keeps
 * reading, hashing, inflating and parsing the artifact, is what brings an unpack of 20,000 small
 * files close to what `tar xzf` costs.
 *
 * workerData: {shard, progress}: this thread's number, and a SharedArrayBuffer of Int32:
 *   progress[s]        the number of the last operation thread s finished (-1: none yet)
 *   progress[last]     1 once any thread failed (the others then stop where they are)
 * Protocol (writer-shard.ts writes the batches; the record layout is documented there):
 *   in:  {seq, arena, length}  records run in order. A record with dep >= 0 first waits until
 *                              thread depShard finished operation dep (the mkdir of its
 *                              directory, run by another thread).
 *   out: {done: seq, arena}    every record of batch `seq` is done (in the page cache); the arena
 *                              is transferred back for reuse
 *        {failed: seq, error}  the first failure of this thread; every later batch is ignored
 *
 * Same flags as ever: files are created O_EXCL | O_NOFOLLOW (a new file or nothing, never
 * through or over a link), directories one level at a time (never reusing one), modes exactly as
 * given (umask undone with chmod when it would strip bits).
 */
const fs = require('node:fs');
const { parentPort, workerData } = require('node:worker_threads');

/** O_EXCL + O_NOFOLLOW: a new file or nothing; never through or over a link. */
const CREATE_FLAGS = fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW;
/** How long one wait for another thread's mkdir lasts before the failure flag is looked at again. */
const WAIT_SLICE_MS = 50;

/**
 * The umask of the process (read here, where reading it changes nothing): a mode it would not
 * strip is given to open/mkdir directly; any other mode is then set exactly with chmod.
 */
const umask = process.umask();

const OP_DIR = 1;
const OP_FILE = 2;
const OP_SYMLINK = 3;
const OP_LINK = 4;
const FLAG_OPEN = 1;
const FLAG_CLOSE = 2;
const HEADER_BYTES = 28;

/** @typedef {{ seq: number, arena: ArrayBuffer, length: number }} WriteBatch */

const { shard, progress: shared } = /** @type {{ shard: number, progress: SharedArrayBuffer }} */ (workerData);
const progress = new Int32Array(shared);
const FAILED = progress.length - 1;

/** Thrown when another thread failed while this one waited for it: nothing to report. */
class Stopped extends Error {}

/** The file being written (a file's data may span batches); -1 when none. */
let fd = -1;
let failed = false;

/** Waits until thread `depShard` finished operation `dep` (its mkdir this record needs). */
function waitFor(/** @type {number} */ dep, /** @type {number} */ depShard) {
  if (dep < 0 || depShard === shard) return;
  for (;;) {
    const finished = Atomics.load(progress, depShard);
    if (finished >= dep) return;
    if (Atomics.load(progress, FAILED) !== 0) throw new Stopped();
    Atomics.wait(progress, depShard, finished, WAIT_SLICE_MS);
  }
}

/** Runs every record of a batch, in order. Paths are handed to the syscalls as bytes. */
function runBatch(/** @type {WriteBatch} */ batch) {
  const bytes = Buffer.from(batch.arena, 0, batch.length);
  for (let at = 0; at < batch.length; ) {
    const kind = bytes.readUInt8(at);
    const flags = bytes.readUInt8(at + 1);
    const mode = bytes.readUInt16LE(at + 2);
    const op = bytes.readInt32LE(at + 4);
    const pathEnd = at + HEADER_BYTES + bytes.readUInt32LE(at + 16);
    const targetEnd = pathEnd + bytes.readUInt32LE(at + 20);
    const dataEnd = targetEnd + bytes.readUInt32LE(at + 24);
    const path = bytes.subarray(at + HEADER_BYTES, pathEnd);
    waitFor(bytes.readInt32LE(at + 8), bytes.readUInt16LE(at + 12));
    switch (kind) {
      case OP_DIR:
        fs.mkdirSync(path, mode);
        if ((mode & umask) !== 0) fs.chmodSync(path, mode);
        // Threads only ever wait for a mkdir.
        Atomics.store(progress, shard, op);
        Atomics.notify(progress, shard);
        break;
      case OP_FILE:
        if ((flags & FLAG_OPEN) !== 0) fd = fs.openSync(path, CREATE_FLAGS, mode);
        for (let done = targetEnd; done < dataEnd; ) done += fs.writeSync(fd, bytes, done, dataEnd - done);
        if ((flags & FLAG_CLOSE) !== 0) {
          if ((mode & umask) !== 0) fs.fchmodSync(fd, mode);
          const closing = fd;
          fd = -1;
          fs.closeSync(closing);
        }
        break;
      case OP_SYMLINK:
        fs.symlinkSync(bytes.subarray(pathEnd, targetEnd), path);
        break;
      case OP_LINK:
        fs.linkSync(bytes.subarray(pathEnd, targetEnd), path);
        break;
      default:
        throw new Error(`unknown write record kind ${kind}`);
    }
    Atomics.store(progress, shard, op);
    at = dataEnd;
  }
}

/** @param {unknown} error */
function describe(error) {
  const record = typeof error === 'object' && error !== null ? /** @type {Record<string, unknown>} */ (error) : {};
  const text = (/** @type {unknown} */ value) => (typeof value === 'string' ? value : undefined);
  return {
    message: error instanceof Error ? error.message : String(error),
    code: text(record['code']),
    syscall: text(record['syscall']),
    path: text(record['path']),
    errno: typeof record['errno'] === 'number' ? record['errno'] : undefined,
  };
}

/** Marks this thread failed, wakes every thread waiting on another, closes the open file. */
function stop() {
  failed = true;
  Atomics.store(progress, FAILED, 1);
  for (let other = 0; other < FAILED; other++) Atomics.notify(progress, other);
  if (fd !== -1) {
    try {
      fs.closeSync(fd);
    } catch {
      // the failure reported is the first one
    }
    fd = -1;
  }
}

const port = parentPort;
if (port === null) throw new Error('entry-write-worker.js runs as a worker thread only');
port.on('message', (/** @type {WriteBatch} */ batch) => {
  if (failed) return;
  try {
    runBatch(batch);
    port.postMessage({ done: batch.seq, arena: batch.arena }, [batch.arena]);
  } catch (error) {
    stop();
    if (!(error instanceof Stopped)) port.postMessage({ failed: batch.seq, error: describe(error) });
  }
});
