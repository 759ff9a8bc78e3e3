import type { IncomingHttpHeaders, IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import { randomBytes } from 'node:crypto';

/** Headers that describe one hop, not the message; a proxy does not forward them. */
const hopByHop = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

/** A copy of `headers` without hop-by-hop headers (nor those named in `Connection`). */
export function endToEnd(headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  const named = String(headers.connection ?? '')
    .split(',')
    .map((h) => h.trim().toLowerCase())
    .filter((h) => h !== '');
  const out: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && !hopByHop.has(name) && !named.includes(name)) out[name] = value;
  }
  return out;
}

/** The `X-Forwarded-*` and `X-Amzn-Trace-Id` headers an ALB adds to a request it forwards. */
export function forwardedHeaders(req: IncomingMessage, listenerPort: number): OutgoingHttpHeaders {
  const previous = req.headers['x-forwarded-for'];
  const client = req.socket.remoteAddress ?? '127.0.0.1';
  const epochHex = Math.floor(Date.now() / 1000).toString(16);
  return {
    'x-forwarded-for': previous === undefined ? client : `${String(previous)}, ${client}`,
    'x-forwarded-proto': 'http',
    'x-forwarded-port': String(listenerPort),
    'x-amzn-trace-id': `Root=1-${epochHex}-${randomBytes(12).toString('hex')}`,
  };
}
