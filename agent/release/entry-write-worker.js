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
 *   progress[s]       the number of the last operation thread s finished (-1: none yet)
 *   progress[length-1] 1 once any thread failed (the others then stop where they are)
 * Protocol (words shared with writer-shard.ts):
 *   in:  {seq, ops, arena}   ops run in order; file data are views of `arena` (transferred). An
 *                            op with dep >= 0 first waits until thread `ds` finished op `dep`
 *                            (the mkdir of its directory, run by another thread).
 *   out: {done: seq, arena}  every op of batch `seq` is done (in the page cache); the arena is
 *                            transferred back for reuse
 *        {failed: seq, error} the first failure of this thread; every later batch is ignored
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

/**
 * @typedef {{ i: number, dep: number, ds: number } & (
 *   { k: 'dir', path: string, mode: number }
 *   | { k: 'file', path: string, mode: number, off: number, len: number, open: boolean, close: boolean }
 *   | { k: 'symlink', path: string, target: string }
 *   | { k: 'link', path: string, target: string })} WriteOp
 * @typedef {{ seq: number, ops: WriteOp[], arena: ArrayBuffer | undefined }} WriteBatch
 */

const shard = /** @type {{ shard: number, progress: SharedArrayBuffer }} */ (workerData).shard;
const progress = new Int32Array(/** @type {{ shard: number, progress: SharedArrayBuffer }} */ (workerData).progress);
const FAILED = progress.length - 1;

/** Thrown when another thread failed while this one waited for it: nothing to report. */
class Stopped extends Error {}

/** The file being written (a file's data may span batches); -1 when none. */
let fd = -1;
let failed = false;

/** @param {WriteOp} op */
function waitFor(op) {
  if (op.dep < 0 || op.ds === shard) return;
  for (;;) {
    const finished = Atomics.load(progress, op.ds);
    if (finished >= op.dep) return;
    if (Atomics.load(progress, FAILED) !== 0) throw new Stopped();
    Atomics.wait(progress, op.ds, finished, WAIT_SLICE_MS);
  }
}

/** @param {WriteOp} op @param {ArrayBuffer | undefined} arena */
function run(op, arena) {
  waitFor(op);
  switch (op.k) {
    case 'dir':
      fs.mkdirSync(op.path, op.mode);
      if ((op.mode & umask) !== 0) fs.chmodSync(op.path, op.mode);
      // Threads only ever wait for a mkdir.
      Atomics.store(progress, shard, op.i);
      Atomics.notify(progress, shard);
      return;
    case 'file': {
      if (op.open) fd = fs.openSync(op.path, CREATE_FLAGS, op.mode);
      if (op.len > 0) {
        if (arena === undefined) throw new Error('file data without an arena');
        const data = new Uint8Array(arena, op.off, op.len);
        for (let done = 0; done < data.length; ) done += fs.writeSync(fd, data, done);
      }
      if (op.close) {
        if ((op.mode & umask) !== 0) fs.fchmodSync(fd, op.mode);
        const closing = fd;
        fd = -1;
        fs.closeSync(closing);
      }
      break;
    }
    case 'symlink':
      fs.symlinkSync(op.target, op.path);
      break;
    case 'link':
      fs.linkSync(op.target, op.path);
      break;
  }
  Atomics.store(progress, shard, op.i);
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
    for (const op of batch.ops) run(op, batch.arena);
    const { arena } = batch;
    port.postMessage({ done: batch.seq, arena }, arena === undefined ? [] : [arena]);
  } catch (error) {
    stop();
    if (!(error instanceof Stopped)) port.postMessage({ failed: batch.seq, error: describe(error) });
  }
});
