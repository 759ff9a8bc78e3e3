import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** A local stand-in for EC2's IMDSv2: tokens by PUT, metadata only with a valid token. */
export interface FakeImds {
  readonly endpoint: string;
  readonly requests: { method: string; path: string; token: string | undefined }[];
  stop(): Promise<void>;
}

export async function startFakeImds(instanceId: string): Promise<FakeImds> {
  const tokens = new Set<string>();
  const requests: FakeImds['requests'] = [];
  const server = http.createServer((req, res) => {
    const token = req.headers['x-aws-ec2-metadata-token'];
    requests.push({ method: req.method ?? '', path: req.url ?? '', token: typeof token === 'string' ? token : undefined });
    if (req.method === 'PUT' && req.url === '/latest/api/token') {
      if (!req.headers['x-aws-ec2-metadata-token-ttl-seconds']) return void res.writeHead(400).end();
      const issued = `token-${tokens.size + 1}`;
      tokens.add(issued);
      return void res.writeHead(200).end(issued);
    }
    if (req.method === 'GET' && req.url === '/latest/meta-data/instance-id') {
      // IMDSv2 only: a request without a valid token is refused, as with HttpTokens=required.
      if (typeof token !== 'string' || !tokens.has(token)) return void res.writeHead(401).end();
      return void res.writeHead(200).end(instanceId);
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
