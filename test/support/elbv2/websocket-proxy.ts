import { request, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { ConnectionBook } from './connection-book';
import { forwardedHeaders } from './proxy-headers';
import type { RegisteredTarget } from './registered-target';

/** Headers that frame a body; a refused upgrade's body is sent decoded and close-delimited. */
const framing = new Set(['transfer-encoding', 'content-length', 'connection']);

/**
 * The head of an HTTP/1.1 response, from an upstream response's raw headers. With
 * `closeDelimited`, the framing headers are replaced by `connection: close`.
 */
function responseHead(res: IncomingMessage, closeDelimited: boolean): string {
  const lines = [`HTTP/1.1 ${res.statusCode ?? 502} ${res.statusMessage ?? ''}`];
  for (let i = 0; i + 1 < res.rawHeaders.length; i += 2) {
    const name = res.rawHeaders[i] ?? '';
    if (closeDelimited && framing.has(name.toLowerCase())) continue;
    lines.push(`${name}: ${res.rawHeaders[i + 1] ?? ''}`);
  }
  if (closeDelimited) lines.push('connection: close');
  return `${lines.join('\r\n')}\r\n\r\n`;
}

/** Answers an upgrade request on a raw socket and closes it. */
export function refuseUpgrade(socket: Duplex, status: 502 | 503, text: string): void {
  socket.end(`HTTP/1.1 ${status} ${text}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
}

/**
 * Forwards one upgrade request (a WebSocket handshake) to `target` on a connection of its own,
 * then pipes bytes both ways. The tunnel is recorded in `book` until either side closes, so it can
 * be cut when the target's deregistration delay ends.
 */
export function proxyUpgrade(
  req: IncomingMessage,
  client: Duplex,
  head: Buffer,
  target: RegisteredTarget,
  listenerPort: number,
  book: ConnectionBook,
): void {
  const upstreamReq = request({
    host: '127.0.0.1',
    port: target.port,
    method: req.method,
    path: req.url,
    headers: { ...req.headers, ...forwardedHeaders(req, listenerPort) },
    agent: false,
  });
  const forget = book.add(target, () => {
    upstreamReq.destroy();
    client.destroy();
  });
  client.on('error', () => upstreamReq.destroy());
  client.on('close', () => {
    upstreamReq.destroy();
    forget();
  });
  upstreamReq.on('error', () => {
    if (client.writable) refuseUpgrade(client, 502, 'Bad Gateway');
    forget();
  });
  upstreamReq.on('upgrade', (res: IncomingMessage, upstream: Duplex, upstreamHead: Buffer) => {
    const cutBoth = (): void => {
      upstream.destroy();
      client.destroy();
    };
    forget();
    const forgetTunnel = book.add(target, cutBoth);
    client.write(responseHead(res, false));
    if (upstreamHead.length > 0) client.write(upstreamHead);
    if (head.length > 0) upstream.write(head);
    upstream.pipe(client);
    client.pipe(upstream);
    for (const side of [upstream, client]) {
      side.on('error', cutBoth);
      side.on('close', () => {
        cutBoth();
        forgetTunnel();
      });
    }
  });
  upstreamReq.on('response', (res: IncomingMessage) => {
    // The target refused the upgrade: pass its answer on, then close.
    client.write(responseHead(res, true));
    res.pipe(client);
    res.on('end', () => client.end());
  });
  upstreamReq.end();
}
