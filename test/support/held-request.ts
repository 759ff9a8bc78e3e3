import http from 'node:http';
import { withTimeout } from './with-timeout';

/** A request the app never answers (the fixture's GET /hang): one connection held open on the app port. */
export interface HeldRequest {
  /** Closes the connection (a no-op once closed, or once the app side died). */
  release(): void;
}

/**
 * Opens GET /hang straight to the app on `port` and resolves once the
 * connection is up: an instance with this open cannot finish an early drain
 * (the workers count it), so a `draining` step lasts until the test lets go.
 */
export async function holdRequest(port: number): Promise<HeldRequest> {
  const req = http.get({ host: '127.0.0.1', port, path: '/hang', agent: false });
  req.on('error', () => undefined); // the app may die under it (a killed agent): that is the point
  const connected = new Promise<void>((resolve, reject) => {
    req.once('socket', (socket) => {
      if (!socket.connecting) resolve();
      else socket.once('connect', () => resolve());
    });
    req.once('error', reject);
  });
  await withTimeout(connected, 5_000, `GET /hang to connect to 127.0.0.1:${port}`);
  return { release: () => req.destroy() };
}
