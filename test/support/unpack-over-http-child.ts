/**
 * A child process that downloads an artifact over HTTP with Node's own client (as the S3 SDK
 * does) and unpacks it with unpackRelease, recording the most ArrayBuffer memory the process
 * held at any chunk. Forked by read-buffer-collector.test.ts, with or without the agent's V8
 * flags. argv: url sha256 size releasesDir. Prints one JSON line:
 * `{"gcExposed":bool,"files":N,"maxArrayBuffersBytes":N}`.
 */
import http from 'node:http';
import { unpackRelease } from '../../agent/release/unpack-release';

async function main(): Promise<void> {
  const [url = '', sha256 = '', size = '', releasesDir = ''] = process.argv.slice(2);
  const body = await new Promise<http.IncomingMessage>((resolve, reject) => {
    http.get(url, resolve).once('error', reject);
  });
  if (body.statusCode !== 200) throw new Error(`GET ${url} answered ${String(body.statusCode)}`);
  let maxArrayBuffersBytes = 0;
  const release = await unpackRelease({
    source: body,
    expected: { sha256, size: Number(size) },
    releasesDir,
    version: 'v1',
    onProgress: () => {
      maxArrayBuffersBytes = Math.max(maxArrayBuffersBytes, process.memoryUsage().arrayBuffers);
    },
  });
  const gcExposed = globalThis.gc !== undefined;
  process.stdout.write(`${JSON.stringify({ gcExposed, files: release.files, maxArrayBuffersBytes })}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
