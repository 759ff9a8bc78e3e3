import path from 'node:path';

/**
 * The private unix socket a worker's app server listens on in sticky mode
 * (the sticky preload redirects `listen(PORT)` there; it spells the name the
 * same way). The name carries the app port, so the cluster's 'listening' on
 * it counts as listening on app.port for readiness.
 */
export function stickyListenPath(dir: string, port: number, pid: number): string {
  return path.join(dir, `app-${port}-w${pid}.sock`);
}

const STICKY_LISTEN = /deployctl-sticky-[^/]+\/app-(\d+)-w\d+\.sock$/;

/** The app port a sticky private socket stands for; undefined for any other address. */
export function stickyListenPort(address: string | null | undefined): number | undefined {
  const match = typeof address === 'string' ? STICKY_LISTEN.exec(address) : null;
  return match ? Number(match[1]) : undefined;
}
