import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Release } from '../../agent/cluster/managed-worker';

export type FixtureMode =
  | 'graceful'
  | 'unmodified'
  | 'ready-message'
  | 'crash-on-boot'
  | 'never-listen'
  | 'crash-after-listening'
  | 'ignore-shutdown'
  | 'unhealthy'
  | 'admin-port-first'
  | 'wrong-port'
  | 'first-crashes'
  | 'first-exits-early'
  /** pm2's way: closes its server and WebSockets on SIGINT and exits once they are closed. */
  | 'sigint-graceful'
  /** sigint-graceful, and process.send('ready') once it listens (pm2's wait_ready). */
  | 'sigint-ready';

export interface FixtureReleaseOptions {
  readonly mode?: FixtureMode;
  readonly bootMs?: number;
  readonly requestMs?: number;
  /** Crash on boot only where PORT is this (one instance of a fleet), or one of these. */
  readonly crashOnPort?: number | readonly number[];
  /** GET /health answers 503 until this file exists. */
  readonly healthGate?: string;
  /** admin-port-first, wrong-port: the other port the app listens on. */
  readonly adminPort?: number;
  /** admin-port-first: how long after the admin port it listens on PORT. @default 1500 */
  readonly portDelayMs?: number;
  /** Workers crash at boot while this file does not exist. */
  readonly bootGate?: string;
  /** Listen on PORT at this host only. */
  readonly listenHost?: string;
  /** The app's server.keepAliveTimeout (announced as `Keep-Alive: timeout=N`). @default node's 5000 */
  readonly keepAliveTimeoutMs?: number;
  /** The app under test/fixtures/apps that server.js runs. @default 'http-ws-app.js' */
  readonly app?: 'http-ws-app.js' | 'h2-app.js' | 'tcp-app.js' | 'expect-continue-app.js';
  /** expect-continue-app.js holds its answers until this file exists. */
  readonly holdUntil?: string;
}

/** The repository root, found from this file both as source and as compiled dist/. */
export function repoRoot(): string {
  let dir = __dirname;
  while (!existsSync(path.join(dir, 'jest.config.js'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`no repository root above ${__dirname}`);
    dir = parent;
  }
  return dir;
}

export const fixtureAppPath = (app = 'http-ws-app.js'): string => path.join(repoRoot(), 'test', 'fixtures', 'apps', app);

/**
 * Writes a release directory `<root>/<version>` whose server.js runs the
 * fixture app with the given behaviour (fixture.json in the release dir).
 */
export function makeFixtureRelease(root: string, version: string, options: FixtureReleaseOptions = {}): Release {
  const dir = path.join(root, version);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'server.js'), `require(${JSON.stringify(fixtureAppPath(options.app))});\n`);
  writeFileSync(path.join(dir, 'fixture.json'), JSON.stringify({ mode: 'graceful', ...options }));
  return { version, dir };
}
