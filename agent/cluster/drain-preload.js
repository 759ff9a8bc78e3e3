// @ts-check
'use strict';
/**
 * The drain preload: the supervisor loads it into every worker with
 * `--require` (config `app.drainPreload`, on by default), so that even an app
 * with no shutdown code of its own is replaced without a failed request:
 *
 * - On 'shutdown', responses not yet started get `Connection: close`; keep-alive
 *   sockets are closed after the response that follows, or once idle for the
 *   keep-alive timeout the server announced to the client (`Keep-Alive:
 *   timeout=N`), or `DEPLOYCTL_IDLE_GRACE_MS` when that is longer (never
 *   slammed shut the moment the server closes, nor while the client may still
 *   pick the socket for its next request: see idleCloseAfterMs).
 * - Upgraded (WebSocket) sockets are held until the supervisor says the roll is
 *   over, then closed with a proper close frame, code 1012 (service restart),
 *   spread over a window, so clients reconnect once and not all at once.
 * - When the last socket is gone the worker exits, unless the app listens for
 *   'shutdown' itself (then it exits when it wants, or is killed on timeout).
 * - An uncaught exception the app does not handle is printed, reported to the
 *   supervisor, and the worker drains like on 'shutdown' before it exits 1
 *   (within `DEPLOYCTL_CRASH_DRAIN_MS`): requests in flight still complete.
 * - HTTP/2 sessions (http2.createServer, createSecureServer) get a GOAWAY and
 *   their open streams finish (drain-preload-h2.js); Node's own close() sends none.
 * - Requests handled through 'checkContinue'/'checkExpectation' (`Expect:`)
 *   are in flight like any other.
 * - Service-out ('service-drain' on the control pipe): the instance leaves the
 *   load balancer, so the worker stops keeping connections alive, tells HTTP/2
 *   sessions to go away and closes its WebSockets with 1012 (clients reconnect
 *   to other instances), but keeps listening; 'service-resume' undoes it.
 *   'count-connections' is answered over IPC with the TCP connections open on
 *   the app port, whatever server holds them (http, https, http2, net), which
 *   tells the agent when the instance has drained.
 * - Should the supervisor die (SIGKILL, OOM) while the worker drains, the worker
 *   exits at once instead of waiting for a kill that will never come.
 *
 * It is the one place where deployctl patches node (net.Server and
 * http(s).Server emit, http(s).Server closeIdleConnections); plain JavaScript,
 * so any app can load it. Its words match agent/cluster/messages.ts.
 */
const http = require('node:http');
const https = require('node:https');
const net = require('node:net');
const { listenToControlPipe } = require('./drain-preload-control.js');
const { createH2Sessions } = require('./drain-preload-h2.js');

const WS_MANAGED = Symbol.for('deployctl.websocketManaged');
// Close frame: FIN + opcode 8, length 2, status 1012 (0x03f4). Server frames are unmasked.
const CLOSE_1012 = Buffer.from([0x88, 0x02, 0x03, 0xf4]);

const idleGraceMs = readMs('DEPLOYCTL_IDLE_GRACE_MS', 1000);
const defaultWindowMs = readMs('DEPLOYCTL_WS_CLOSE_WINDOW_MS', 2000);
const crashDrainMs = readMs('DEPLOYCTL_CRASH_DRAIN_MS', 5000);
const wsHoldMaxMs = readMs('DEPLOYCTL_WS_HOLD_MAX_MS', 120000);
const wsCloseTimeoutMs = 3000;

/**
 * @typedef {object} Conn
 * @property {Set<import('node:http').ServerResponse>} inFlight responses not yet finished
 * @property {number} idleSince when the last response finished (or the socket connected)
 * @property {boolean} upgraded taken over by a WebSocket (or other upgrade) handler
 * @property {import('node:net').Server} server the http(s) server that accepted it
 */
/** HTTP connections (TLS sockets for https), with their requests. @type {Map<import('node:net').Socket, Conn>} */
const conns = new Map();
/** Every TCP connection of every server in the worker (http, https, http2, net). @type {Set<import('node:net').Socket>} */
const tcpSockets = new Set();
/** @type {Set<import('node:net').Server>} */
const servers = new Set();
let draining = false;
/** Service-out drain: like `draining` for keep-alive, but the server keeps listening. */
let serviceDraining = false;
/** @type {NodeJS.Timeout | undefined} */
let sweepTimer;
const appPort = Number(process.env.PORT);
let appOwnsShutdown = false;
let crashed = false;
let wsClosing = false;
// A client may still be sending on a session for idleGraceMs after the GOAWAY, as on an idle keep-alive socket.
const h2Sessions = createH2Sessions({ graceMs: idleGraceMs });

// First, so that the http(s) patches below call it.
patchNetServer(/** @type {ServerProto} */ (/** @type {unknown} */ (net.Server.prototype)));
patchServer(/** @type {ServerProto} */ (/** @type {unknown} */ (http.Server.prototype)), 'connection');
patchServer(/** @type {ServerProto} */ (/** @type {unknown} */ (https.Server.prototype)), 'secureConnection');

// node:cluster's own forwarding listener is already there; anything past it and ours is the app's.
const baseMessageListeners = process.listenerCount('message');
process.on('message', (message) => {
  if (message === 'shutdown') {
    appOwnsShutdown = process.listenerCount('message') > baseMessageListeners + 1;
    startDrain();
  }
});

listenToControlPipe(Number(process.env.DEPLOYCTL_CONTROL_FD), onControl, onSupervisorGone);

process.on('disconnect', () => {
  // The cluster disconnects a worker only once all its servers have closed,
  // i.e. once the last connection is gone.
  if (crashed) process.exit(1);
  if (draining && !appOwnsShutdown) process.exit(0);
});

process.on('uncaughtException', (error, origin) => {
  if (process.listenerCount('uncaughtException') > 1) return; // the app handles its own
  process.stderr.write(`${origin === 'unhandledRejection' ? 'Unhandled rejection' : 'Uncaught exception'}: ${describe(error)}\n`);
  if (crashed) process.exit(1);
  crashed = true;
  process.exitCode = 1;
  if (process.send && process.connected) {
    process.send({ deployctl: 'crashed', error: firstLine(error) }, undefined, {}, () => undefined);
  }
  startDrain();
  closeWebSockets(Math.min(defaultWindowMs, 1000));
  leaveCluster();
  setTimeout(() => process.exit(1), crashDrainMs);
});

/**
 * @typedef {{ emit: (this: import('node:net').Server, event: string, ...args: unknown[]) => boolean,
 *   closeIdleConnections: (this: import('node:net').Server) => void }} ServerProto
 */
/**
 * Counts every TCP connection, and keeps the HTTP/2 sessions (the 'session' event of http2 servers).
 * @param {ServerProto} target net.Server prototype
 */
function patchNetServer(target) {
  const emit = target.emit;
  target.emit = function patchedNetEmit(event, ...args) {
    if (event === 'connection') trackTcp(args[0]);
    else if (event === 'session') h2Sessions.add(/** @type {import('node:http2').ServerHttp2Session} */ (args[0]));
    return emit.call(this, event, ...args);
  };
}

/** @param {unknown} socket */
function trackTcp(socket) {
  if (!(socket instanceof net.Socket) || tcpSockets.has(socket)) return;
  tcpSockets.add(socket);
  socket.once('close', () => tcpSockets.delete(socket));
}

/**
 * @param {ServerProto} target http.Server or https.Server prototype
 * @param {string} connectionEvent the event whose socket carries the HTTP requests
 */
function patchServer(target, connectionEvent) {
  const emit = target.emit;
  target.emit = function patchedEmit(event, ...args) {
    if (event === connectionEvent) track(this, /** @type {import('node:net').Socket} */ (args[0]));
    else if (event === 'request' || event === 'checkContinue' || event === 'checkExpectation') onRequest(/** @type {import('node:http').ServerResponse} */ (args[1]));
    else if (event === 'upgrade') onUpgrade(/** @type {import('node:net').Socket} */ (args[1]));
    return emit.call(this, event, ...args);
  };
  const closeIdleConnections = target.closeIdleConnections;
  // Node's server.close() closes idle keep-alive sockets at once; while
  // draining, the sweep closes them safely instead.
  target.closeIdleConnections = function patchedCloseIdleConnections() {
    if (draining) return sweep();
    return closeIdleConnections.call(this);
  };
}

/**
 * @param {import('node:net').Server} server
 * @param {import('node:net').Socket} socket
 */
function track(server, socket) {
  if (!socket || conns.has(socket)) return;
  servers.add(server);
  conns.set(socket, { inFlight: new Set(), idleSince: Date.now(), upgraded: false, server });
  socket.once('close', () => conns.delete(socket));
}

/** @param {import('node:http').ServerResponse} res */
function onRequest(res) {
  const conn = conns.get(res.socket ?? /** @type {never} */ (undefined));
  if (draining || serviceDraining) res.shouldKeepAlive = false;
  if (!conn) return;
  conn.inFlight.add(res);
  res.once('close', () => {
    conn.inFlight.delete(res);
    conn.idleSince = Date.now();
  });
}

/** @param {import('node:net').Socket} socket */
function onUpgrade(socket) {
  const conn = conns.get(socket);
  if (conn) conn.upgraded = true;
  if (wsClosing || serviceDraining) setImmediate(() => closeWebSocket(socket));
}

function startDrain() {
  if (draining) return;
  draining = true;
  stopKeepingAlive();
  h2Sessions.goAway();
  // Should the word that the roll is over never come, let go eventually.
  setTimeout(() => closeWebSockets(defaultWindowMs), wsHoldMaxMs).unref();
}

/** Responses not yet started get `Connection: close`; idle keep-alive sockets are swept. */
function stopKeepingAlive() {
  for (const conn of conns.values()) {
    for (const res of conn.inFlight) if (!res.headersSent) res.shouldKeepAlive = false;
  }
  sweepTimer ??= setInterval(sweep, Math.max(20, Math.min(100, idleGraceMs / 4)));
  sweepTimer.unref();
}

/** @param {number} windowMs */
function startServiceDrain(windowMs) {
  if (serviceDraining || draining) return;
  serviceDraining = true;
  stopKeepingAlive();
  h2Sessions.goAway();
  // The app's websocket-drain helper closes the sockets it manages (and keeps accepting).
  process.emit(/** @type {never} */ ('deployctl:drain-websockets'), /** @type {never} */ (windowMs));
  closeUpgraded(windowMs);
}

function endServiceDrain() {
  if (!serviceDraining) return;
  serviceDraining = false;
  if (!draining) h2Sessions.resume();
  if (!draining && sweepTimer) {
    clearInterval(sweepTimer);
    sweepTimer = undefined;
  }
}

/** TCP connections open on the app port (all of them when PORT is not a number), WebSockets and HTTP/2 sessions included. */
function openConnections() {
  let open = 0;
  for (const socket of tcpSockets) {
    if (socket.destroyed) continue;
    if (!Number.isInteger(appPort) || socket.localPort === appPort) open += 1;
  }
  return open;
}

/** Ends keep-alive sockets that have been idle long enough (idleCloseAfterMs). */
function sweep() {
  const now = Date.now();
  for (const [socket, conn] of conns) {
    if (conn.upgraded || conn.inFlight.size > 0 || now - conn.idleSince < idleCloseAfterMs(conn)) continue;
    socket.end();
    setTimeout(() => socket.destroy(), wsCloseTimeoutMs).unref();
  }
}

/**
 * How long an idle keep-alive socket stays open. Its last response told the client it may send on it
 * until the server's keepAliveTimeout (`Keep-Alive: timeout=N`); closing it sooner races with a client
 * that picks it in that instant ("socket hang up", not retried). So a retired worker waits that long
 * (idleGraceMs if longer or none announced); in service-out alone the load balancer sends no new requests.
 * @param {Conn} conn
 */
function idleCloseAfterMs(conn) {
  const announcedMs = Number(/** @type {{ keepAliveTimeout?: unknown }} */ (/** @type {unknown} */ (conn.server)).keepAliveTimeout);
  if (!draining || !Number.isFinite(announcedMs) || announcedMs <= 0) return idleGraceMs;
  return Math.max(idleGraceMs, announcedMs);
}

/**
 * The supervisor holds the other end of the control pipe, so it closing means
 * the supervisor is gone. Node's cluster exits a worker whose primary dies, but
 * not one the primary had already asked to disconnect (a retired worker): that
 * one waited for the supervisor to kill it after its shutdown timeout, and an
 * app that owns its shutdown (or holds connections) would live on, orphaned,
 * past any restart of the agent. It leaves now, as the cluster's own workers do.
 */
function onSupervisorGone() {
  if (draining) process.exit(crashed ? 1 : 0);
}

/** @param {Record<string, unknown>} m a message from the supervisor's control pipe */
function onControl(m) {
  const windowMs = typeof m.windowMs === 'number' ? m.windowMs : defaultWindowMs;
  if (m.deployctl === 'close-websockets') closeWebSockets(windowMs);
  else if (m.deployctl === 'service-drain') startServiceDrain(windowMs);
  else if (m.deployctl === 'service-resume') endServiceDrain();
  else if (m.deployctl === 'count-connections') answer({ deployctl: 'connections', id: m.id, open: openConnections() });
}

/** @param {object} message */
function answer(message) {
  if (process.send && process.connected) process.send(message, undefined, {}, () => undefined);
}

/** @param {number} windowMs */
function closeWebSockets(windowMs) {
  if (wsClosing) return;
  wsClosing = true;
  // The app's websocket-drain helper closes the sockets it manages.
  process.emit(/** @type {never} */ ('deployctl:close-websockets'), /** @type {never} */ (windowMs));
  closeUpgraded(windowMs);
}

/**
 * Closes upgraded sockets the app's helper does not manage with 1012, spread over `windowMs`.
 * @param {number} windowMs
 */
function closeUpgraded(windowMs) {
  const sockets = [];
  for (const [socket, conn] of conns) {
    if (conn.upgraded && !(/** @type {Record<symbol, unknown>} */ (/** @type {unknown} */ (socket))[WS_MANAGED])) sockets.push(socket);
  }
  const stepMs = sockets.length > 0 ? Math.max(0, windowMs) / sockets.length : 0;
  sockets.forEach((socket, i) => setTimeout(() => closeWebSocket(socket), Math.round(i * stepMs)));
}

/** @param {import('node:net').Socket} socket */
function closeWebSocket(socket) {
  if (socket.destroyed || !socket.writable) return;
  socket.write(CLOSE_1012);
  const timer = setTimeout(() => socket.destroy(), wsCloseTimeoutMs);
  socket.once('close', () => clearTimeout(timer));
}

/** Stop taking connections: the cluster way when in a worker, else close the servers. */
function leaveCluster() {
  const cluster = /** @type {import('node:cluster').Cluster} */ (/** @type {unknown} */ (require('node:cluster')));
  if (cluster.isWorker && cluster.worker && process.connected) cluster.worker.disconnect();
  else for (const server of servers) server.close();
}

/** @param {string} name @param {number} fallback */
function readMs(name, fallback) {
  const value = Number(process.env[name]);
  return Number.isFinite(value) && value >= 0 ? value : fallback;
}

/** @param {unknown} error */
function describe(error) {
  return error instanceof Error ? (error.stack ?? error.message) : String(error);
}

/** @param {unknown} error */
function firstLine(error) {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? '';
}
