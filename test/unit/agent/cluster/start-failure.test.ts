import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { WorkerStartError } from '../../../../agent/cluster/managed-worker';
import { startFailed } from '../../../../agent/cluster/start-failure';

const release = { version: 'v3', dir: '/srv/releases/v3' };
const addrInUse = [
  'node:events:497',
  '      throw er; // Unhandled error event',
  'Error: listen EADDRINUSE: address already in use :::3000',
  '    at Server.setupListenHandle [as _listen2] (node:net:1817:16)',
];

describe('startFailed', () => {
  let proc: string;
  beforeEach(() => {
    proc = mkdtempSync(path.join(tmpdir(), 'deployctl-proc-'));
  });
  afterEach(() => rmSync(proc, { recursive: true, force: true }));

  test('EADDRINUSE on app.port is PORT_IN_USE naming the port and the holder, in one line with the stderr tail', async () => {
    mkdirSync(path.join(proc, 'net'));
    writeFileSync(path.join(proc, 'net', 'tcp'), `header\n   0: 0100007F:0BB8 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 321 1\n`);
    mkdirSync(path.join(proc, '555', 'fd'), { recursive: true });
    symlinkSync('socket:[321]', path.join(proc, '555', 'fd', '3'));
    writeFileSync(path.join(proc, '555', 'cmdline'), ['python3', '-m', 'http.server', '3000', ''].join('\0'));
    const cause = new WorkerStartError('exit', 'v3', { code: 1, signal: null }, addrInUse, 'exited with code 1 before it was ready');

    const error = await startFailed(cause, release, 3000, proc);

    expect(error.code).toBe('PORT_IN_USE');
    expect(error.message).toBe(
      'could not start v3: port 3000 is in use by another program, pid 555 (python3 -m http.server 3000); stop it, or set app.port to a free port' +
        ' (stderr: node:events:497 | throw er; // Unhandled error event | Error: listen EADDRINUSE: address already in use :::3000)',
    );
    expect(error.cause).toBe(cause);
  });

  test('EADDRINUSE on another port names that port; without /proc it says "another program"', async () => {
    const stderr = ['Error: listen EADDRINUSE: address already in use 0.0.0.0:9090'];
    const error = await startFailed(new WorkerStartError('exit', 'v3', { code: 1, signal: null }, stderr, 'exited with code 1 before it was ready'), release, 3000, path.join(proc, 'none'));
    expect(error.code).toBe('PORT_IN_USE');
    expect(error.message).toMatch(/^could not start v3: port 9090 is in use by another program; stop it, or have the app use a free port \(stderr: /);
  });

  test('any other failure is SUPERVISOR_START_FAILED: the first line of the message and the stderr tail, never a multi-line message', async () => {
    const stderr = ["Error: Cannot find module 'pg'", 'Require stack:', '- /srv/releases/v3/server.js', '    at Module._resolveFilename (node:internal/modules/cjs/loader:1145:15)'];
    const error = await startFailed(new WorkerStartError('exit', 'v3', { code: 1, signal: null }, stderr, 'exited with code 1 before it was ready'), release, 3000, proc);
    expect(error.code).toBe('SUPERVISOR_START_FAILED');
    expect(error.message).toBe(
      "could not start v3: worker of v3 exited with code 1 before it was ready (stderr: Error: Cannot find module 'pg' | Require stack: | - /srv/releases/v3/server.js)",
    );
    expect(error.message).not.toContain('\n');
  });
});
