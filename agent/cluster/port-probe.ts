import net from 'node:net';
import { DeployError, describeError } from '../errors';

/**
 * The outcome check after a start or a roll: a TCP connect to
 * `127.0.0.1:<app.port>` must succeed before the step counts as done. A side
 * effect, so the supervisor sees only this interface.
 */
export interface PortProbe {
  /** Resolves once one connect succeeded; rejects (PORT_NOT_SERVING) when none did within `timeoutMs`. */
  answers(port: number, timeoutMs: number): Promise<void>;
}

const retryEveryMs = 100;

/** The real probe: connects over loopback, closes at once, tries again every 100 ms until `timeoutMs`. */
export const tcpPortProbe: PortProbe = {
  async answers(port, timeoutMs) {
    const deadline = Date.now() + timeoutMs;
    let last: unknown;
    for (;;) {
      const left = deadline - Date.now();
      try {
        await connectOnce(port, Math.max(left, 1));
        return;
      } catch (error) {
        last = error;
      }
      if (deadline - Date.now() <= retryEveryMs) break;
      await new Promise((resolve) => setTimeout(resolve, retryEveryMs));
    }
    throw new DeployError(
      'PORT_NOT_SERVING',
      `127.0.0.1:${port} did not accept a connection within ${timeoutMs} ms (${describeError(last)}); the app must listen on app.port ${port} on all addresses or on 127.0.0.1`,
      { cause: last },
    );
  },
};

function connectOnce(port: number, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    const timer = setTimeout(() => done(new Error(`connect timed out after ${timeoutMs} ms`)), timeoutMs);
    function done(error?: Error): void {
      clearTimeout(timer);
      socket.destroy();
      if (error) reject(error);
      else resolve();
    }
    socket.once('connect', () => done());
    socket.once('error', (error) => done(error));
  });
}
