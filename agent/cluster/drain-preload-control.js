// @ts-check
'use strict';
/**
 * The drain preload's end of the supervisor's control pipe (drain-preload.js
 * requires it): not the cluster IPC channel, which an app that closes its
 * server on 'shutdown' loses at once. Newline-delimited JSON objects.
 */
const net = require('node:net');

/**
 * @param {number} fd the pipe's file descriptor (DEPLOYCTL_CONTROL_FD); anything but an fd ≥ 3 means no supervisor
 * @param {(message: Record<string, unknown>) => void} onMessage every JSON object that arrives
 * @param {() => void} onClose the supervisor, which holds the other end, is gone
 */
function listenToControlPipe(fd, onMessage, onClose) {
  if (!Number.isInteger(fd) || fd < 3) return;
  /** @type {import('node:net').Socket} */
  let pipe;
  try {
    pipe = new net.Socket({ fd, readable: true, writable: false });
  } catch {
    return; // not started by the supervisor
  }
  pipe.unref();
  pipe.on('error', () => undefined);
  pipe.on('close', onClose);
  let buffered = '';
  pipe.on('data', (chunk) => {
    const lines = (buffered + chunk.toString()).split('\n');
    buffered = lines.pop() ?? '';
    for (const line of lines) {
      const message = parse(line);
      if (message) onMessage(message);
    }
  });
}

/** @param {string} line @returns {Record<string, unknown> | undefined} */
function parse(line) {
  try {
    const message = JSON.parse(line);
    return typeof message === 'object' && message !== null ? message : undefined;
  } catch {
    return undefined;
  }
}

module.exports = { listenToControlPipe };
