import http, { type ClientRequestArgs } from 'node:http';
import net from 'node:net';
import type { Duplex } from 'node:stream';

/**
 * An http.Agent whose every connection reaches one worker through
 * the router's pair socket: the router accepts it, reads the preamble
 * `<worker id>\n`, and hands the accepted end to that worker over IPC like a
 * client connection (marked not routable, so the worker serves it). Unlike the
 * worker's own listening socket, this works while a retiring worker has stopped
 * listening but still serves its sessions.
 */
export class WorkerAgent extends http.Agent {
  constructor(
    private readonly pairSocket: string,
    private readonly workerId: number,
  ) {
    // One connection per forward: a reused one may be closed by the worker as it is
    // reused (its keep-alive timeout, or the drain's idle sweep), and a poll that
    // reached engine.io must never be sent twice (engine.io ends a session on overlap).
    super({ keepAlive: false });
  }

  override createConnection(_options: ClientRequestArgs, callback?: (err: Error | null, stream: Duplex) => void): Duplex {
    const socket = net.connect(this.pairSocket);
    socket.write(`${this.workerId}\n`);
    callback?.(null, socket);
    return socket;
  }
}
