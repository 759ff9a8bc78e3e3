import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describeHolder, findPortHolder, listeningInodes } from '../../../../agent/cluster/port-holder';

const header = '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode';
/** One /proc/net/tcp row: local 0.0.0.0:<port>, state, inode. */
const row = (sl: number, hexPort: string, state: string, inode: string) =>
  `   ${sl}: 00000000:${hexPort} 00000000:0000 ${state} 00000000:00000000 00:00000000 00000000     0        0 ${inode} 1 0000000000000000 100 0 0 10 0`;

describe('listeningInodes', () => {
  test('takes the LISTEN rows on the port and skips other ports, other states and inode 0', () => {
    const table = [header, row(0, '0BB8', '0A', '4242'), row(1, '0BB8', '01', '4343'), row(2, '0BB9', '0A', '4444'), row(3, '0BB8', '0A', '0'), ''].join('\n');
    expect(listeningInodes(table, 3000)).toEqual(['4242']);
  });

  test('reads IPv6 rows (the port after the last colon)', () => {
    const v6 = `   0: 00000000000000000000000000000000:0BB8 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 5151 1`;
    expect(listeningInodes([header, v6].join('\n'), 3000)).toEqual(['5151']);
  });
});

describe('findPortHolder', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(path.join(tmpdir(), 'deployctl-proc-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  /** A /proc tree in a temp dir: net/tcp{,6} and one process per entry with its fd links and cmdline. */
  function fakeProc(tcp: string, tcp6: string, processes: Record<string, { fds: string[]; cmdline?: string; comm?: string }>): void {
    mkdirSync(path.join(root, 'net'));
    writeFileSync(path.join(root, 'net', 'tcp'), tcp);
    writeFileSync(path.join(root, 'net', 'tcp6'), tcp6);
    mkdirSync(path.join(root, 'self')); // not a pid: skipped
    for (const [pid, p] of Object.entries(processes)) {
      mkdirSync(path.join(root, pid, 'fd'), { recursive: true });
      p.fds.forEach((target, fd) => symlinkSync(target, path.join(root, pid, 'fd', String(fd))));
      if (p.cmdline !== undefined) writeFileSync(path.join(root, pid, 'cmdline'), p.cmdline);
      if (p.comm !== undefined) writeFileSync(path.join(root, pid, 'comm'), `${p.comm}\n`);
    }
  }

  test('names the process whose fd links to the listening socket, with its command line', async () => {
    fakeProc([header, row(0, '0BB8', '0A', '777')].join('\n'), header, {
      '10': { fds: ['/dev/null', 'socket:[111]'], cmdline: 'sshd\0' },
      '20': { fds: ['/dev/null', 'socket:[777]'], cmdline: 'nginx: master process\0-g\0daemon off;\0' },
    });
    const holder = await findPortHolder(3000, root);
    expect(holder).toEqual({ pid: 20, command: 'nginx: master process -g daemon off;' });
    expect(describeHolder(holder as NonNullable<typeof holder>)).toBe('pid 20 (nginx: master process -g daemon off;)');
  });

  test('falls back to comm when cmdline is empty (a kernel thread or a zombie)', async () => {
    fakeProc(header, [header, `   0: 00000000000000000000000000000000:0BB8 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 888 1`].join('\n'), {
      '30': { fds: ['socket:[888]'], cmdline: '', comm: 'haproxy' },
    });
    expect(await findPortHolder(3000, root)).toEqual({ pid: 30, command: 'haproxy' });
  });

  test('is undefined when nothing listens on the port, or /proc does not say who does', async () => {
    fakeProc([header, row(0, '0BB8', '0A', '999')].join('\n'), header, { '40': { fds: ['socket:[1]'] } });
    expect(await findPortHolder(3001, root)).toBeUndefined();
    expect(await findPortHolder(3000, root)).toBeUndefined();
    expect(await findPortHolder(3000, path.join(root, 'missing'))).toBeUndefined();
  });

  test('finds this very process holding a real listening socket in the real /proc', async () => {
    const server: Server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const port = (server.address() as { port: number }).port;
      const holder = await findPortHolder(port);
      expect(holder?.pid).toBe(process.pid);
      expect(holder?.command).toContain('node');
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
