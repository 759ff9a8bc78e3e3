import { once } from 'node:events';
import type { Server } from 'node:net';

/** Listens on 127.0.0.1 and a free port (or `port`); resolves with the port. */
export async function listenLocal(server: Server, port = 0): Promise<number> {
  server.listen(port, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('server is not listening on TCP');
  return address.port;
}
