import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fixtureAppPath } from './fixture-releases';

/**
 * Holds a release's workers at boot until the test opens the gate: a rolling
 * step that lasts exactly as long as the test wants, with no timing guess.
 * The first `pass` workers go through at once (they announce themselves with a
 * file `passed-<pid>` in the gate dir); each one held after them with `waiting-<pid>`.
 */
export class BootGate {
  constructor(
    readonly dir: string,
    private readonly pass = 0,
  ) {
    mkdirSync(dir, { recursive: true });
  }

  /** The server.js of a gated release: announce, wait for the gate unless among the first `pass`, run the fixture app. */
  serverJs(): string {
    const dir = JSON.stringify(this.dir);
    return [
      "'use strict';",
      "const fs = require('fs');",
      "const path = require('path');",
      `const before = fs.readdirSync(${dir}).filter((name) => /^(passed|waiting)-/.test(name)).length;`,
      `const passes = before < ${this.pass};`,
      `fs.writeFileSync(path.join(${dir}, (passes ? 'passed-' : 'waiting-') + process.pid), '');`,
      '(function wait() {',
      `  if (passes || fs.existsSync(path.join(${dir}, 'open'))) require(${JSON.stringify(fixtureAppPath())});`,
      '  else setTimeout(wait, 20);',
      '})();',
      '',
    ].join('\n');
  }

  /** Pids of the workers that reached the gate (whether or not they still run). */
  waitingPids(): number[] {
    return readdirSync(this.dir)
      .filter((name) => name.startsWith('waiting-'))
      .map((name) => Number(name.slice('waiting-'.length)));
  }

  open(): void {
    writeFileSync(path.join(this.dir, 'open'), '');
  }

  get isOpen(): boolean {
    return existsSync(path.join(this.dir, 'open'));
  }
}
