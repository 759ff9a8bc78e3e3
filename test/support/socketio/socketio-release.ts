import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from '../fixture-releases';

/** The fixture apps of test/fixtures/apps/ that run unmodified under `deploy-agent`. */
export type FixtureApp = 'socketio-app' | 'express-app' | 'fastify-app' | 'koa-app' | 'h2-app';

/**
 * A release directory whose server.js loads a fixture app; its dependencies
 * (socket.io, express, …) resolve from the repository's devDependencies.
 */
export function makeAppRelease(root: string, app: FixtureApp): string {
  const dir = path.join(root, app);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'server.js'), `require(${JSON.stringify(path.join(repoRoot(), 'test', 'fixtures', 'apps', `${app}.js`))});\n`);
  return dir;
}
