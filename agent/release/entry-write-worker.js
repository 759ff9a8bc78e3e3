// @ts-check
'use strict';
/**
 * The entry writer thread: a worker_threads worker started by entry-write-queue.ts for one
 * unpack. It performs, in order and with synchronous syscalls, the filesystem operations the
 * main thread's EntryExtractor already checked (path, type, placement, links, limits): it
 * decides nothing itself. Doing them here, one after another without a thread-pool round trip
 * per open/write/close, while the main thread keeps reading, hashing, inflating and parsing the
 * artifact, is what makes an unpack of 20,000 small files cost about what `tar xzf` costs.
 *
 * Protocol (words shared with entry-write-queue.ts):
 *   in:  {seq, ops, arena}   ops run in order; file data are views of `arena` (transferred)
 *   out: {done: seq, arena}  every op of batch `seq` is on disk (in the page cache); its arena
 *                            is transferred back for reuse
 *        {failed: seq, error} the first failure; every later batch is ignored
 *
 * Same flags as before it ran here: files are created O_EXCL | O_NOFOLLOW (a new file or
 * nothing, never through or over a link), directories one level at a time (never reusing one),
 * modes exactly as given (umask undone with chmod when it would strip bits).
 */
const fs = require('node:fs');
const { parentPort } = require('node:worker_threads');

/** O_EXCL + O_NOFOLLOW: a new file or nothing; never through or over a link. */
const CREATE_FLAGS = fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW;

/**
 * The umask of the process (read here, where reading it changes nothing): a mode it would not
 * strip is given to open/mkdir directly; any other mode is then set exactly with chmod.
 */
const umask = process.umask();

/**
 * @typedef {{ k: 'dir', path: string, mode: number }
 *   | { k: 'file', path: string, mode: number, off: number, len: number, open: boolean, close: boolean }
 *   | { k: 'symlink', path: string, target: string }
 *   | { k: 'link', path: string, target: string }} WriteOp
 * @typedef {{ seq: number, ops: WriteOp[], arena: ArrayBuffer | undefined }} WriteBatch
 */

/** The file being written (a file's data may span batches); -1 when none. */
let fd = -1;
let failed = false;

/** @param {WriteOp} op @param {ArrayBuffer | undefined} arena */
function run(op, arena) {
  switch (op.k) {
    case 'dir':
      fs.mkdirSync(op.path, op.mode);
      if ((op.mode & umask) !== 0) fs.chmodSync(op.path, op.mode);
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
      return;
    }
    case 'symlink':
      fs.symlinkSync(op.target, op.path);
      return;
    case 'link':
      fs.linkSync(op.target, op.path);
      return;
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

const port = parentPort;
if (port === null) throw new Error('entry-write-worker.js runs as a worker thread only');
port.on('message', (/** @type {WriteBatch} */ batch) => {
  if (failed) return;
  try {
    for (const op of batch.ops) run(op, batch.arena);
    const { arena } = batch;
    port.postMessage({ done: batch.seq, arena }, arena === undefined ? [] : [arena]);
  } catch (error) {
    failed = true;
    if (fd !== -1) {
      try {
        fs.closeSync(fd);
      } catch {
        // the failure reported is the first one
      }
      fd = -1;
    }
    port.postMessage({ failed: batch.seq, error: describe(error) });
  }
});
