// @ts-check
'use strict';
/**
 * The worker side of `app.schedulingPolicy: "sticky"` (docs/design.md §9).
 * The supervisor loads it with `--require` before the drain preload, only in
 * sticky mode. The primary (sticky-router.ts) owns the app port; this file:
 *
 * - redirects the app's `listen(PORT)` to a private unix socket of this worker
 *   (`$DEPLOYCTL_STICKY_DIR/app-<PORT>-w<pid>.sock`, bound through node:cluster as usual,
 *   so the supervisor's readiness still sees 'listening'); the primary proxies
 *   per-request forwards there;
 * - adopts the connections the primary hands over (`sticky-connection` + the
 *   socket over IPC): they are emitted into the app's server with the bytes the
 *   primary already read, and counted as the server's own connections;
 * - claims the sessions this worker creates: it sees the engine.io handshake
 *   answer (`0{"sid":…}`) and holds it back until the primary has recorded the
 *   sid, so the client can never use a sid the primary does not know;
 * - routes per request: a request on a handed-over (keep-alive) connection for
 *   a session of another worker is forwarded to the primary's router socket,
 *   which proxies it to the owner (two hops, only for such requests);
 * - on retirement ('shutdown'), keeps serving its sessions, and once told that
 *   the roll is over (`deployctl:close-websockets` from the drain preload)
 *   closes its long-polling sessions cleanly with an engine.io close packet,
 *   spread over the window; handshakes reaching it meanwhile go to the router.
 *
 * Its words match agent/cluster/sticky/sticky-messages.ts.
 */
const http = require('node:http');
const net = require('node:net');
const path = require('node:path');
const { Duplex } = require('node:stream');

const stickyDir = process.env.DEPLOYCTL_STICKY_DIR ?? '';
const appPort = Number(process.env.PORT);
const byAddress = process.env.DEPLOYCTL_STICKY_BY === 'x-forwarded-for';
const holdEnabled = process.env.DEPLOYCTL_HOLD_WEBSOCKETS === '1';
const routerPath = path.join(stickyDir, 'router.sock');
const KEY_HEADER = 'x-deployctl-sticky-key';
const ROUTABLE = Symbol('deployctl.stickyRoutable');
/** A session not polling when its close is due gets this long to poll again. */
const closeGraceMs = 5000;
const claimTimeoutMs = 2000;
const holdMaxMs = Number(process.env.DEPLOYCTL_WS_HOLD_MAX_MS) || 120000;
/** After the last close went out, the worker still serves this long before it lets go. */
const lingerMs = 2000;

/**
 * @typedef {object} Session a long-polling engine.io session this worker created
 * @property {import('node:http').ServerResponse | undefined} pending the poll engine.io holds open
 * @property {boolean} closing its close is due
 * @property {boolean} done the client has its close packet (or it is gone)
 * @property {NodeJS.Timeout | undefined} graceTimer
 * @property {string} eio engine.io protocol revision ('4', '3')
 */
/** @type {Map<string, Session>} */
const sessions = new Map();
/** Routing keys this worker owns: sids, or client addresses with `sticky.by: x-forwarded-for`. */
const ownKeys = new Set();
/** @type {import('node:net').Server | undefined} */
let appServer;
let draining = false;
let holding = false;
let lingering = false;
/** @type {NodeJS.Timeout | undefined} */
let holdTimer;
let nextSeq = 1;
/** @type {Map<number, () => void>} */
const claims = new Map();
let closedConnections = 0;
/** @type {NodeJS.Timeout | undefined} */
let loadTimer;
const forwardAgent = new http.Agent({ keepAlive: true });

if (stickyDir !== '') install();

function install() {
  const listen = net.Server.prototype.listen;
  net.Server.prototype.listen = /** @type {typeof listen} */ (
    /** @type {unknown} */ (
      /** @this {import('node:net').Server} @param {unknown[]} args */
      function stickyListen(...args) {
      if (appServer !== undefined || !targetsAppPort(args[0])) return listen.apply(this, /** @type {never} */ (args));
      appServer = this;
      // sticky-listen-path.ts: the name says the port, so the cluster's 'listening' counts for it.
      const privatePath = path.join(stickyDir, `app-${appPort}-w${process.pid}.sock`);
      const callback = args.find((a) => typeof a === 'function');
      const server = this;
      // The app asked for PORT; that is what it is told it got.
      server.address = () => ({ address: '::', family: 'IPv6', port: appPort });
      server.once('listening', () => send({ deployctl: 'sticky-listening', path: privatePath }));
      return callback ? listen.call(server, privatePath, /** @type {() => void} */ (callback)) : listen.call(server, privatePath);
    })
  );

  const emit = /** @type {(this: unknown, event: string, ...args: unknown[]) => boolean} */ (http.Server.prototype.emit);
  http.Server.prototype.emit = /** @type {typeof http.Server.prototype.emit} */ (
    function stickyEmit(/** @type {string} */ event, /** @type {unknown[]} */ ...args) {
      if (this === appServer && event === 'request') {
        const req = /** @type {import('node:http').IncomingMessage} */ (args[0]);
        const res = /** @type {import('node:http').ServerResponse} */ (args[1]);
        if (onRequest(req, res)) return true;
      }
      return emit.call(this, event, ...args);
    }
  );

  process.on('message', (message, handle) => {
    if (message === 'shutdown') return startDraining();
    if (typeof message !== 'object' || message === null) return;
    const m = /** @type {{ deployctl?: unknown, head?: unknown, key?: unknown, seq?: unknown, routable?: unknown }} */ (message);
    if (m.deployctl === 'sticky-connection') adopt(/** @type {import('node:net').Socket | undefined} */ (handle), m.head, m.key, m.routable !== false);
    else if (m.deployctl === 'sticky-own' && typeof m.key === 'string') ownKeys.add(m.key);
    else if (m.deployctl === 'sticky-claimed' && typeof m.seq === 'number') claims.get(m.seq)?.();
  });
  process.on(/** @type {never} */ ('deployctl:close-websockets'), (/** @type {unknown} */ windowMs) =>
    closeSessions(typeof windowMs === 'number' ? windowMs : 0),
  );
}

/** @param {unknown} first the first argument of `listen` */
function targetsAppPort(first) {
  if (!Number.isInteger(appPort)) return false;
  if (typeof first === 'number' || typeof first === 'string') return /^\d+$/.test(String(first)) && Number(first) === appPort;
  if (typeof first !== 'object' || first === null) return false;
  const o = /** @type {{ port?: unknown, path?: unknown, fd?: unknown }} */ (first);
  return o.path === undefined && o.fd === undefined && o.port !== undefined && Number(o.port) === appPort;
}

/**
 * A connection the primary accepted on the app port and handed over.
 * @param {import('node:net').Socket | undefined} socket
 * @param {unknown} head base64 of the bytes the primary read from it
 * @param {unknown} key the routing key the primary assigned to this worker
 * @param {boolean} routable false for the router's own forwards (served here whatever they carry)
 */
function adopt(socket, head, key, routable) {
  if (!socket) return;
  const server = appServer;
  // A retiring worker's server no longer listens, but still serves its sessions.
  if (!server) {
    socket.destroy();
    return;
  }
  if (typeof key === 'string') ownKeys.add(key);
  const s = /** @type {{ server?: unknown, _server?: unknown } & Record<symbol, unknown>} */ (/** @type {unknown} */ (socket));
  s[ROUTABLE] = routable;
  // Counted like a connection the server accepted itself (net's onconnection does the
  // same): server.close() waits for it, and its close decrements the count.
  s.server = server;
  s._server = server;
  /** @type {{ _connections: number }} */ (/** @type {unknown} */ (server))._connections += 1;
  socket.once('close', () => {
    closedConnections += 1;
    loadTimer ??= setTimeout(reportLoad, 100);
  });
  const bytes = typeof head === 'string' ? Buffer.from(head, 'base64') : Buffer.alloc(0);
  if (server instanceof http.Server || bytes.length === 0) {
    server.emit('connection', socket);
    if (bytes.length > 0) socket.emit('data', bytes);
    socket.resume();
    return;
  }
  // Servers that read the socket's handle natively (http2, tls) would never see
  // bytes fed to the stream: they get a stream that replays them first.
  server.emit('connection', replaying(socket, bytes));
}

/**
 * A duplex that yields `bytes`, then whatever `socket` reads, and writes to `socket`.
 * @param {import('node:net').Socket} socket
 * @param {Buffer} bytes
 */
function replaying(socket, bytes) {
  const duplex = new Duplex({
    read() {
      socket.resume();
    },
    write(chunk, encoding, callback) {
      socket.write(chunk, encoding, callback);
    },
    final(callback) {
      socket.end(callback);
    },
    destroy(error, callback) {
      socket.destroy();
      callback(error);
    },
  });
  duplex.push(bytes);
  socket.on('data', (chunk) => {
    if (!duplex.push(chunk)) socket.pause();
  });
  socket.on('end', () => duplex.push(null));
  socket.on('close', () => duplex.destroy());
  socket.on('error', (error) => duplex.destroy(error));
  const d = /** @type {Record<string, unknown>} */ (/** @type {unknown} */ (duplex));
  for (const name of ['remoteAddress', 'remotePort', 'remoteFamily', 'localAddress', 'localPort']) {
    Object.defineProperty(d, name, { get: () => /** @type {Record<string, unknown>} */ (/** @type {unknown} */ (socket))[name] });
  }
  d.setNoDelay = () => duplex;
  d.setKeepAlive = () => duplex;
  d.setTimeout = (/** @type {number} */ ms, /** @type {(() => void) | undefined} */ cb) => {
    socket.setTimeout(ms, cb);
    return duplex;
  };
  return duplex;
}

function reportLoad() {
  loadTimer = undefined;
  send({ deployctl: 'sticky-load', closed: closedConnections });
}

/**
 * Returns true when the request is dealt with here (forwarded or answered),
 * false when the app gets it.
 * @param {import('node:http').IncomingMessage} req
 * @param {import('node:http').ServerResponse} res
 */
function onRequest(req, res) {
  const query = queryOf(req.url ?? '');
  const eio = query.get('EIO');
  const sid = query.get('sid') ?? undefined;
  const routable = /** @type {Record<symbol, unknown>} */ (/** @type {unknown} */ (req.socket))[ROUTABLE] === true;
  if (byAddress) {
    const address = clientAddress(req);
    if (routable && address && !ownKeys.has(address)) return forward(req, res, address);
  } else if (eio !== null && sid === undefined) {
    // A handshake: a retiring worker sends new sessions to workers that stay.
    if (draining && routable) return forward(req, res, undefined);
    watchHandshake(res, eio);
    return false;
  } else if (eio !== null && sid !== undefined && !ownKeys.has(sid)) {
    return routable ? forward(req, res, sid) : false;
  }
  const session = sid === undefined ? undefined : sessions.get(sid);
  if (session?.done) return answerClosed(session, req, res);
  if (eio !== null && sid !== undefined && req.method === 'GET') onPoll(sid, req, res);
  return false;
}

/**
 * A request for a session this worker closed: the client has its close packet,
 * or will have it in a moment (a POST it sent meanwhile). engine.io may have
 * ended the session already and would answer `Session ID unknown`, which the
 * client, still reading its close, would take for an error: answered here as
 * engine.io answers a session that is open (the data is dropped: the session
 * is over, and socket.io's retries re-send an emit after the reconnect).
 * @param {Session} session
 * @param {import('node:http').IncomingMessage} req
 * @param {import('node:http').ServerResponse} res
 */
function answerClosed(session, req, res) {
  req.resume();
  req.once('end', () => {
    if (req.method === 'POST') {
      res.writeHead(200, { 'Content-Type': 'text/html', 'Content-Length': 2 });
      res.end('ok');
      return;
    }
    const body = session.eio === '3' ? '1:1' : '1';
    res.writeHead(200, { 'Content-Type': 'text/plain; charset=UTF-8', 'Content-Length': Buffer.byteLength(body) });
    res.end(body);
  });
  return true;
}

/** @param {string} url */
function queryOf(url) {
  const at = url.indexOf('?');
  return new URLSearchParams(at >= 0 ? url.slice(at + 1) : '');
}

/** @param {import('node:http').IncomingMessage} req */
function clientAddress(req) {
  const header = req.headers['x-forwarded-for'];
  const first = (Array.isArray(header) ? header[0] : header)?.split(',')[0]?.trim();
  return first || req.socket.remoteAddress;
}

/**
 * Passes the request to the primary's router socket, which proxies it to the
 * worker owning `key` (or, without a key, to the least-loaded ready worker).
 * @param {import('node:http').IncomingMessage} req
 * @param {import('node:http').ServerResponse} res
 * @param {string | undefined} key
 */
function forward(req, res, key) {
  const headers = { ...req.headers };
  delete headers.connection;
  delete headers['keep-alive'];
  if (key !== undefined) headers[KEY_HEADER] = key;
  const out = http.request({ socketPath: routerPath, method: req.method, path: req.url, headers, agent: forwardAgent }, (/** @type {import('node:http').IncomingMessage} */ answer) => {
    const back = { ...answer.headers };
    delete back.connection;
    delete back['keep-alive'];
    delete back['transfer-encoding'];
    res.writeHead(answer.statusCode ?? 502, back);
    answer.pipe(res);
  });
  out.on('error', () => {
    if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
    res.end();
  });
  res.once('close', () => {
    if (!res.writableFinished) out.destroy();
  });
  req.pipe(out);
  return true;
}

/**
 * Holds the handshake answer back until the primary has recorded its sid.
 * @param {import('node:http').ServerResponse} res
 * @param {string} eio
 */
function watchHandshake(res, eio) {
  const end = res.end;
  res.end = /** @type {typeof end} */ (
    function stickyEnd(/** @type {unknown[]} */ ...args) {
      const body = args[0];
      const text = typeof body === 'string' ? body : Buffer.isBuffer(body) ? body.toString('latin1') : '';
      const sid = /0\{"sid":"([^"]+)"/.exec(text)?.[1];
      res.end = end;
      if (sid === undefined) return end.apply(res, /** @type {never} */ (args));
      ownKeys.add(sid);
      sessions.set(sid, { pending: undefined, closing: false, done: false, graceTimer: undefined, eio });
      claim(sid, () => end.apply(res, /** @type {never} */ (args)));
      return res;
    }
  );
}

/** @param {string} key @param {() => void} then */
function claim(key, then) {
  if (!process.send || !process.connected) return then();
  const seq = nextSeq++;
  const settle = () => {
    clearTimeout(timer);
    claims.delete(seq);
    then();
  };
  const timer = setTimeout(settle, claimTimeoutMs);
  claims.set(seq, settle);
  send({ deployctl: 'sticky-claim', key, seq });
}

/**
 * A long poll of one of this worker's sessions.
 * @param {string} sid
 * @param {import('node:http').IncomingMessage} req
 * @param {import('node:http').ServerResponse} res
 */
function onPoll(sid, req, res) {
  const session = sessions.get(sid);
  if (!session || session.done) return;
  if (session.closing) {
    // Whatever engine.io answers gets the close packet appended; plain text, so it can.
    delete req.headers['accept-encoding'];
    appendClose(session, res);
    setImmediate(() => {
      if (!res.headersSent && !res.writableEnded) answerClose(session, res);
    });
    return;
  }
  session.pending = res;
  res.once('close', () => {
    if (session.pending === res) session.pending = undefined;
  });
}

/**
 * @param {Session} session
 * @param {import('node:http').ServerResponse} res
 */
function appendClose(session, res) {
  const extra = session.eio === '3' ? '1:1' : '\x1e1';
  const writeHead = res.writeHead;
  res.writeHead = /** @type {typeof writeHead} */ (
    function stickyWriteHead(/** @type {unknown[]} */ ...args) {
      const headers = args.find((a, i) => i > 0 && typeof a === 'object' && a !== null && !Array.isArray(a));
      if (headers) {
        const h = /** @type {Record<string, unknown>} */ (headers);
        for (const name of Object.keys(h)) {
          if (name.toLowerCase() === 'content-length') h[name] = Number(h[name]) + Buffer.byteLength(extra);
        }
      }
      return writeHead.apply(res, /** @type {never} */ (args));
    }
  );
  const end = res.end;
  res.end = /** @type {typeof end} */ (
    function stickyEnd(/** @type {unknown[]} */ ...args) {
      if (typeof args[0] === 'string' && args[0].length > 0) {
        args[0] = args[0] + extra;
        finish(session);
      }
      return end.apply(res, /** @type {never} */ (args));
    }
  );
}

/**
 * Answers a poll engine.io holds (so it has nothing queued) with the close
 * packet, and makes engine.io's own later writes to it no-ops.
 * @param {Session} session
 * @param {import('node:http').ServerResponse} res
 */
function answerClose(session, res) {
  const body = session.eio === '3' ? '1:1' : '1';
  const end = res.end;
  const writeHead = res.writeHead;
  res.writeHead = /** @type {typeof writeHead} */ (/** @type {unknown} */ (() => res));
  res.write = () => true;
  res.end = /** @type {typeof end} */ (/** @type {unknown} */ (() => res));
  res.shouldKeepAlive = false;
  Reflect.apply(writeHead, res, [200, { 'Content-Type': 'text/plain; charset=UTF-8', 'Content-Length': Buffer.byteLength(body) }]);
  Reflect.apply(end, res, [body]);
  finish(session);
}

/** @param {Session} session */
function finish(session) {
  if (session.done) return;
  session.done = true;
  clearTimeout(session.graceTimer);
  releaseHoldWhenClosed();
}

function startDraining() {
  if (draining) return;
  draining = true;
  // The primary gives a retiring worker's client addresses to workers that stay
  // (sticky-router.ts, route()): from now on this worker forwards their requests
  // on its keep-alive connections there too, so a client never comes back here.
  if (byAddress) ownKeys.clear();
  if (!holdEnabled || !appServer || ![...sessions.values()].some((s) => !s.done)) return;
  // The server (and with it the IPC channel) stays up until every session has
  // had its close: the primary keeps routing their requests here until then.
  holding = true;
  /** @type {{ _connections: number }} */ (/** @type {unknown} */ (appServer))._connections += 1;
  holdTimer = setTimeout(releaseHold, holdMaxMs);
  holdTimer.unref();
}

/** @param {number} windowMs */
function closeSessions(windowMs) {
  const open = [...sessions.values()].filter((s) => !s.done && !s.closing);
  const stepMs = open.length > 0 ? Math.max(0, windowMs) / open.length : 0;
  open.forEach((session, i) => setTimeout(() => closeSession(session), Math.round(i * stepMs)));
  releaseHoldWhenClosed();
}

/** @param {Session} session */
function closeSession(session) {
  if (session.done) return;
  session.closing = true;
  const pending = session.pending;
  if (pending && !pending.headersSent && !pending.writableEnded) return answerClose(session, pending);
  // Between two polls: it gets the close with its next one, or is gone.
  session.graceTimer = setTimeout(() => finish(session), closeGraceMs);
}

function releaseHoldWhenClosed() {
  if (!holding || lingering) return;
  for (const session of sessions.values()) if (!session.done) return;
  // Requests a client sent before its close arrived (a POST in flight) still find the session.
  lingering = true;
  setTimeout(releaseHold, lingerMs);
}

function releaseHold() {
  if (!holding || !appServer) return;
  holding = false;
  clearTimeout(holdTimer);
  const server = /** @type {{ _connections: number, _emitCloseIfDrained?: () => void }} */ (/** @type {unknown} */ (appServer));
  server._connections -= 1;
  server._emitCloseIfDrained?.();
}

/** @param {object} message */
function send(message) {
  if (process.send && process.connected) process.send(message, undefined, {}, () => undefined);
}
