import { readFileSync } from 'node:fs';
import path from 'node:path';
import { AGENT_NODE_FLAGS, AGENT_SHEBANG } from '../../../../agent/lifecycle/node-flags';
import { repoRoot } from '../../../support/fixture-releases';

describe('the agent V8 flags', () => {
  it("are what the agent's bin passes to node in its first line", () => {
    const firstLine = readFileSync(path.join(repoRoot(), 'agent', 'main.ts'), 'utf8').split('\n')[0];

    expect(firstLine).toBe(`#!/usr/bin/env -S node ${AGENT_NODE_FLAGS.join(' ')}`);
    expect(firstLine).toBe(AGENT_SHEBANG);
  });

  it('cap the young generation at 2 MiB per semi-space, start full collections at 32 MiB of old generation and expose gc (for the read-buffer collector), and nothing else', () => {
    expect(AGENT_NODE_FLAGS).toEqual(['--max-semi-space-size=2', '--initial-old-space-size=32', '--expose-gc']);
  });
});
