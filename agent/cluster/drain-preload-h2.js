// @ts-check
'use strict';
/**
 * The drain preload's HTTP/2 part (drain-preload.js requires it): the worker's
 * HTTP/2 sessions and their graceful end. Node's Http2Server.close() sends no
 * GOAWAY, so a client kept sending streams on its session to a retired worker
 * until the worker was killed, with those streams in flight.
 *
 * `goAway()` ends every session the way nghttp2's shutdown notice does
 * (RFC 9113 §6.8): first a GOAWAY with the highest stream id, so the client
 * opens no new stream on this session yet loses none it already sent; `graceMs`
 * later (streams the client sent before it read the GOAWAY have arrived),
 * `session.close()` sends the final GOAWAY with the last stream id and lets
 * open streams finish, and the session ends with its last stream. (Not a PING
 * to know when: a Node client answers no PING once it has read a GOAWAY.)
 * Sessions that begin while it is in force (service-out keeps listening) get
 * the same after their first stream.
 */
const http2 = require('node:http2');

const { NGHTTP2_NO_ERROR } = http2.constants;
const MAX_STREAM_ID = 2 ** 31 - 1;

/**
 * @param {{ graceMs: number }} options from the first GOAWAY to the final one; also how long a
 *   session that begins while going away may stay idle before it is told to go
 */
function createH2Sessions(options) {
  /** @type {Set<import('node:http2').ServerHttp2Session>} */
  const sessions = new Set();
  /** @type {WeakSet<import('node:http2').ServerHttp2Session>} */
  const goingAway = new WeakSet();
  let goingAwayAll = false;

  /** @param {import('node:http2').ServerHttp2Session} session */
  function goAwayOne(session) {
    if (goingAway.has(session) || session.closed || session.destroyed) return;
    goingAway.add(session);
    const timer = setTimeout(() => {
      if (!session.closed && !session.destroyed) session.close();
    }, options.graceMs);
    session.once('close', () => clearTimeout(timer));
    try {
      session.goaway(NGHTTP2_NO_ERROR, MAX_STREAM_ID);
    } catch {
      // already going: its close() follows
    }
  }

  return {
    /** @param {import('node:http2').ServerHttp2Session} session a session of one of the worker's servers */
    add(session) {
      if (sessions.has(session)) return;
      sessions.add(session);
      session.once('close', () => sessions.delete(session));
      // Like `Connection: close` on HTTP/1.1: a session that begins now is
      // answered its first stream, then goes (or when idle that long).
      if (!goingAwayAll) return;
      const idle = setTimeout(() => goAwayOne(session), options.graceMs);
      session.once('close', () => clearTimeout(idle));
      session.once('stream', (stream) => stream.once('close', () => setImmediate(() => goAwayOne(session))));
    },
    /** Every session, and every new one until `resume()`, is ended gracefully. */
    goAway() {
      goingAwayAll = true;
      for (const session of sessions) goAwayOne(session);
    },
    /** New sessions are kept again (back in service); those already told to go away still go. */
    resume() {
      goingAwayAll = false;
    },
    /** Sessions not yet ended. */
    get size() {
      return sessions.size;
    },
  };
}

module.exports = { createH2Sessions };
