import { readdir, readFile, readlink } from 'node:fs/promises';
import path from 'node:path';

/** A process that holds a listening socket. */
export interface PortHolder {
  readonly pid: number;
  /** Its command line (arguments joined by spaces), or its `comm` name. */
  readonly command: string;
}

/** TCP state LISTEN in /proc/net/tcp{,6}. */
const LISTEN = '0A';

/**
 * Which process listens on TCP `port`, as /proc says (Linux): the socket
 * inodes of the LISTEN rows of /proc/net/tcp and tcp6, then the process with
 * a `socket:[inode]` link under /proc/<pid>/fd. Undefined where /proc does not
 * say (not Linux, or another user's process and the agent is not root).
 */
export async function findPortHolder(port: number, procRoot = '/proc'): Promise<PortHolder | undefined> {
  const inodes = new Set<string>();
  for (const table of ['tcp', 'tcp6']) {
    const text = await readFile(path.join(procRoot, 'net', table), 'utf8').catch(() => '');
    for (const inode of listeningInodes(text, port)) inodes.add(inode);
  }
  if (inodes.size === 0) return undefined;
  const pids = (await readdir(procRoot).catch(() => [] as string[])).filter((name) => /^\d+$/.test(name));
  for (const pid of pids) {
    const fdDir = path.join(procRoot, pid, 'fd');
    const fds = await readdir(fdDir).catch(() => [] as string[]);
    for (const fd of fds) {
      const target = await readlink(path.join(fdDir, fd)).catch(() => '');
      const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
      if (inode && inodes.has(inode)) return { pid: Number(pid), command: await commandOf(procRoot, pid) };
    }
  }
  return undefined;
}

/** The inodes of the LISTEN rows on `port` of one /proc/net/tcp{,6} table. */
export function listeningInodes(table: string, port: number): string[] {
  const inodes: string[] = [];
  for (const line of table.split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/);
    const local = fields[1];
    const state = fields[3];
    const inode = fields[9];
    if (!local || !inode || state !== LISTEN) continue;
    const hexPort = local.slice(local.lastIndexOf(':') + 1);
    if (Number.parseInt(hexPort, 16) === port && inode !== '0') inodes.push(inode);
  }
  return inodes;
}

async function commandOf(procRoot: string, pid: string): Promise<string> {
  const cmdline = await readFile(path.join(procRoot, pid, 'cmdline'), 'utf8').catch(() => '');
  const args = cmdline.split('\0').filter((a) => a !== '');
  if (args.length > 0) return args.join(' ');
  return (await readFile(path.join(procRoot, pid, 'comm'), 'utf8').catch(() => 'unknown')).trim();
}

/** "pid 1234 (node holder.js)", cut to a readable length. */
export function describeHolder(holder: PortHolder): string {
  const command = holder.command.length > 120 ? `${holder.command.slice(0, 120)}…` : holder.command;
  return `pid ${holder.pid} (${command})`;
}
