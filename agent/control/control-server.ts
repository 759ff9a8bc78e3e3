import { chmod, stat } from 'node:fs/promises';
import net from 'node:net';
import { DeployError, describeError } from '../errors';
import type { Logger } from '../log/logger';
import { controlRequestSchema, encodeLine, MAX_REQUEST_BYTES, type ControlCommandName, type ControlResponse } from './control-protocol';
import { claimSocketPath } from './socket-claim';

/** Only the agent's own user (root on a fleet) may talk to it. */
export const CONTROL_SOCKET_MODE = 0o600;

/** What each command does; a thrown DeployError is answered with its code. */
export type ControlHandlers = Readonly<Record<ControlCommandName, () => unknown>>;

/**
 * The control socket behind `deploy-agent status|reload|rollback`: a unix
 * socket of mode 0600 (created under umask 077, so it is never wider, even
 * for a moment), one newline-terminated JSON request and one response per
 * connection (control-protocol.ts). start/stop are idempotent.
 */
export class ControlServer {
  private server: net.Server | undefined;
  private readonly connections = new Set<net.Socket>();

  constructor(
    readonly socketPath: string,
    private readonly handlers: ControlHandlers,
    private readonly log: Logger,
  ) {}

  async start(): Promise<void> {
    if (this.server) return;
    const claimed = await claimSocketPath(this.socketPath);
    if (claimed === 'stale-removed') this.log.warn({ socket: this.socketPath }, 'removed a stale control socket left by an agent that did not stop cleanly');
    const server = net.createServer((socket) => this.serve(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', (error: NodeJS.ErrnoException) => reject(listenError(error, this.socketPath)));
      // The primary binds synchronously inside listen(), so the umask covers exactly this bind.
      const umask = process.umask(0o077);
      try {
        server.listen(this.socketPath, () => resolve());
      } finally {
        process.umask(umask);
      }
    });
    this.server = server;
    await chmod(this.socketPath, CONTROL_SOCKET_MODE);
    const mode = (await stat(this.socketPath)).mode & 0o777;
    if (mode !== CONTROL_SOCKET_MODE) {
      await this.stop();
      throw new DeployError('CONTROL_SOCKET_FAILED', `control socket ${this.socketPath} has mode ${mode.toString(8)}, not 600; refusing to serve it`);
    }
    this.log.info({ socket: this.socketPath }, 'control socket ready (deploy-agent status|reload|rollback)');
  }

  /** Stops accepting, ends open connections and removes the socket file. */
  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const socket of this.connections) socket.destroy();
    await closed;
  }

  private serve(socket: net.Socket): void {
    this.connections.add(socket);
    socket.once('close', () => this.connections.delete(socket));
    socket.on('error', () => undefined); // a client that goes away mid-answer is not our problem
    let buffered = '';
    const onData = (chunk: Buffer): void => {
      buffered += chunk.toString('utf8');
      const end = buffered.indexOf('\n');
      if (end < 0 && Buffer.byteLength(buffered) <= MAX_REQUEST_BYTES) return;
      socket.off('data', onData);
      const line = end < 0 ? undefined : buffered.slice(0, end);
      void this.answer(line).then((response) => socket.end(encodeLine(response)));
    };
    socket.on('data', onData);
  }

  private async answer(line: string | undefined): Promise<ControlResponse> {
    if (line === undefined) return refusal('CONTROL_BAD_REQUEST', `a request is one line of JSON under ${MAX_REQUEST_BYTES} bytes`);
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch {
      return refusal('CONTROL_BAD_REQUEST', 'a request is one line of JSON, e.g. {"command":"status"}');
    }
    const parsed = controlRequestSchema.safeParse(json);
    if (!parsed.success) return refusal('CONTROL_BAD_REQUEST', 'unknown request: expected {"command":"status"|"reload"|"rollback"}');
    const { command } = parsed.data;
    try {
      const result = await this.handlers[command]();
      return { ok: true, command, result: result ?? null };
    } catch (error) {
      const code = error instanceof DeployError ? error.code : 'UNEXPECTED';
      if (code === 'UNEXPECTED') this.log.error({ command, err: describeError(error) }, `control command ${command} failed unexpectedly`);
      return refusal(code, describeError(error));
    }
  }
}

function refusal(code: string, error: string): ControlResponse {
  return { ok: false, code, error };
}

function listenError(error: NodeJS.ErrnoException, socketPath: string): DeployError {
  const hints: Record<string, string> = {
    EADDRINUSE: `another deploy-agent took ${socketPath} just now; stop it first`,
    EACCES: `permission denied creating ${socketPath}; run the agent as root, or set control.socket to a path its user may write (e.g. under systemd's RuntimeDirectory)`,
    ENOENT: `the directory of ${socketPath} does not exist; create it or set control.socket`,
  };
  const code = error.code === 'EADDRINUSE' ? 'CONTROL_SOCKET_IN_USE' : 'CONTROL_SOCKET_FAILED';
  return new DeployError(code, `cannot open the control socket: ${hints[error.code ?? ''] ?? `${socketPath}: ${error.message}`}`, { cause: error });
}
