import http, { type IncomingHttpHeaders } from 'node:http';

const HOP_BY_HOP = ['connection', 'keep-alive', 'transfer-encoding', 'proxy-connection', 'upgrade'];

/** A forwarded body bigger than this is refused (engine.io's own default cap is 1 MB). */
const MAX_BODY_BYTES = 8 * 1024 * 1024;

export function withoutHopByHop(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  const copy = { ...headers };
  for (const name of HOP_BY_HOP) delete copy[name];
  return copy;
}

/**
 * Proxies one request through `agent` (one worker's) and its answer back. The
 * body is read first, so a request that failed on a reused keep-alive
 * connection (the worker closed it as it was reused: the usual keep-alive race)
 * is sent once more on a new one; a worker that cannot be reached answers 502.
 * Nothing is left open when either side goes away.
 */
export function proxyRequest(req: http.IncomingMessage, res: http.ServerResponse, agent: http.Agent): void {
  const chunks: Buffer[] = [];
  let size = 0;
  req.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) {
      res.writeHead(413, { 'content-type': 'text/plain' }).end('request body too large to forward\n');
      req.destroy();
      return;
    }
    chunks.push(chunk);
  });
  req.once('end', () => {
    if (!res.headersSent) send(req, res, agent, Buffer.concat(chunks), true);
  });
}

function send(req: http.IncomingMessage, res: http.ServerResponse, agent: http.Agent, body: Buffer, mayRetry: boolean): void {
  const headers = withoutHopByHop(req.headers);
  if (body.length > 0 || headers['content-length'] !== undefined) headers['content-length'] = String(body.length);
  const out = http.request({ agent, method: req.method, path: req.url, headers }, (answer) => {
    res.writeHead(answer.statusCode ?? 502, withoutHopByHop(answer.headers));
    answer.pipe(res);
    answer.once('error', () => res.destroy());
  });
  out.once('error', () => {
    if (res.headersSent) return void res.destroy();
    if (mayRetry && out.reusedSocket && !res.destroyed) return send(req, res, agent, body, false);
    res.writeHead(502, { 'content-type': 'text/plain' }).end('worker unreachable\n');
  });
  res.once('close', () => {
    if (!res.writableFinished) out.destroy();
  });
  out.end(body);
}
