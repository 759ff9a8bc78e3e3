import { errorMessage, isIpcRequest, type IpcReply } from './ipc-protocol';

export type IpcHandler = (args: unknown) => Promise<unknown>;

/**
 * The child side of the bench's IPC: runs the handler named by each request
 * and replies with its result or error. When the parent goes away (the channel
 * disconnects), `onParentGone` runs; it must end the process.
 */
export function serveIpc(handlers: Readonly<Record<string, IpcHandler>>, onParentGone: () => void): void {
  if (typeof process.send !== 'function') {
    process.stderr.write('this module is a bench child process: start it with child_process.fork\n');
    process.exit(2);
  }
  process.on('message', (message: unknown) => {
    if (!isIpcRequest(message)) return;
    const handler = handlers[message.cmd];
    const reply = (body: IpcReply): void => {
      if (process.connected) process.send?.(body);
    };
    if (!handler) {
      reply({ id: message.id, ok: false, error: `unknown command ${JSON.stringify(message.cmd)}` });
      return;
    }
    handler(message.args).then(
      (result) => reply({ id: message.id, ok: true, result: result ?? null }),
      (error: unknown) => reply({ id: message.id, ok: false, error: errorMessage(error) }),
    );
  });
  process.on('disconnect', onParentGone);
}
