/**
 * Child process: the local S3 server (fauxqs, in memory, on 127.0.0.1 and a
 * free port; test/support/s3-server.ts), in its own process so that its CPU
 * and memory are not counted in the processes under test.
 *
 *   start {bucket} → {endpoint}   (creates the bucket)
 *
 * Closing the channel stops the server and exits.
 */
import { startS3Server, type S3Server } from '../../support/s3-server';
import { asRecord, stringField } from '../reload/ipc-protocol';
import { serveIpc } from '../reload/ipc-serve';

let server: S3Server | undefined;

async function start(args: unknown): Promise<unknown> {
  if (server) throw new Error('the S3 server is already started');
  const bucket = stringField(asRecord(args, 'start'), 'bucket', 'start');
  server = await startS3Server();
  await server.bucket(bucket);
  return { endpoint: server.endpoint };
}

function exitNow(code: number): void {
  const stopping = server?.stop() ?? Promise.resolve();
  void stopping.finally(() => process.exit(code));
  setTimeout(() => process.exit(code), 3000).unref();
}

serveIpc({ start }, () => exitNow(0));
process.on('SIGINT', () => exitNow(130));
process.on('SIGTERM', () => exitNow(143));
