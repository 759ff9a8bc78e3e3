import http, { type ClientRequestArgs } from 'node:http';
import net from 'node:net';
import type { Duplex } from 'node:stream';

/**
 * A keep-alive http.Agent whose every connection reaches one worker through
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
    super({ keepAlive: true });
  }

  override createConnection(_options: ClientRequestArgs, callback?: (err: Error | null, stream: Duplex) => void): Duplex {
    const socket = net.connect(this.pairSocket);
    socket.write(`${this.workerId}\n`);
    callback?.(null, socket);
    return socket;
  }
}
