import http, { type IncomingHttpHeaders } from 'node:http';


const HOP_BY_HOP = ['connection', 'keep-alive', 'transfer-encoding', 'proxy-connection', 'upgrade'];

export function withoutHopByHop(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  const copy = { ...headers };
  for (const name of HOP_BY_HOP) delete copy[name];
  return copy;
}

/**
 * Proxies one request through `agent` (one worker's) and its answer back; a worker that cannot
 * be reached answers 502. Nothing is left open when either side goes away.
 */
export function proxyRequest(req: http.IncomingMessage, res: http.ServerResponse, agent: http.Agent): void {
  const out = http.request(
    { agent, method: req.method, path: req.url, headers: withoutHopByHop(req.headers) },
    (answer) => {
      res.writeHead(answer.statusCode ?? 502, withoutHopByHop(answer.headers));
      answer.pipe(res);
      answer.once('error', () => res.destroy());
    },
  );
  out.once('error', () => {
    if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' }).end('worker unreachable\n');
    else res.destroy();
  });
  res.once('close', () => {
    if (!res.writableFinished) out.destroy();
  });
  req.pipe(out);
}
