import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { agentStateSchema, emptyState, readAgentState, writeAgentState, type AgentState } from '../../../../agent/deploy/agent-state';

const full: AgentState = {
  schema: 1,
  current: 'v42',
  previous: 'v41',
  state: 'validating',
  target: 'v43',
  failed: { version: 'v40', desiredEtag: 'etag-1', reason: 'health check failed', at: '2024-05-01T12:00:00.000Z' },
  lastDeploy: {
    version: 'v42',
    result: 'succeeded',
    startedAt: '2024-05-01T11:59:00.000Z',
    durationMs: 1234,
  },
  updatedAt: '2000-01-01T00:00:00.000Z',
};

/** emptyState() without its timestamp, which is "now". */
function withoutTimestamp(state: AgentState): Omit<AgentState, 'updatedAt'> {
  const { updatedAt: _ignored, ...rest } = state;
  void _ignored;
  return rest;
}

describe('agent state (state.json)', () => {
  let dir: string;
  let file: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'deployctl-agent-state-'));
    file = path.join(dir, 'state.json');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('emptyState is idle with nothing current and passes its own schema', () => {
    const empty = emptyState();
    expect(agentStateSchema.parse(empty)).toEqual(empty);
    expect(withoutTimestamp(empty)).toEqual({
      schema: 1,
      current: null,
      previous: null,
      state: 'idle',
      target: null,
      failed: null,
      lastDeploy: null,
    });
  });

  it('round-trips every field through write and read, stamping updatedAt', async () => {
    const before = Date.now();
    await writeAgentState(file, full);
    const read = await readAgentState(file);

    expect(read.problem).toBeUndefined();
    expect(withoutTimestamp(read.state)).toEqual(withoutTimestamp(full));
    expect(read.state.updatedAt).not.toBe(full.updatedAt);
    expect(Date.parse(read.state.updatedAt)).toBeGreaterThanOrEqual(before - 1000);
  });

  it('round-trips a failed last deploy with its error', async () => {
    const state: AgentState = {
      ...full,
      state: 'idle',
      target: null,
      lastDeploy: { version: 'v43', result: 'rolled-back', error: 'boom', errorCode: 'HEALTH_CHECK_FAILED', startedAt: '2024-05-01T12:00:00.000Z', durationMs: 5 },
    };
    await writeAgentState(file, state);
    const read = await readAgentState(file);
    expect(read.problem).toBeUndefined();
    expect(read.state.lastDeploy).toEqual(state.lastDeploy);
  });

  it('gives emptyState without a problem when the file is missing', async () => {
    const read = await readAgentState(file);
    expect(read).not.toHaveProperty('problem');
    expect(withoutTimestamp(read.state)).toEqual(withoutTimestamp(emptyState()));
  });

  test.each([
    ['truncated JSON', () => JSON.stringify(full, null, 2).slice(0, 40)],
    ['an empty file', () => ''],
    ['the wrong schema number', () => JSON.stringify({ ...full, schema: 2 })],
    ['a missing field', () => JSON.stringify({ ...full, current: undefined })],
    ['a field of the wrong type', () => JSON.stringify({ ...full, lastDeploy: { ...full.lastDeploy, durationMs: 'long' } })],
    ['JSON that is not an object', () => 'null'],
  ])('gives emptyState and a problem naming the file for %s', async (_what, text) => {
    writeFileSync(file, text());
    const read = await readAgentState(file);
    expect(withoutTimestamp(read.state)).toEqual(withoutTimestamp(emptyState()));
    expect(read.problem).toEqual(expect.stringContaining(file));
    expect(read.problem).toMatch(/damaged/);
  });

  it('gives emptyState and a problem naming the file when it cannot be read', async () => {
    mkdirSync(file); // a directory where the file should be: EISDIR
    const read = await readAgentState(file);
    expect(withoutTimestamp(read.state)).toEqual(withoutTimestamp(emptyState()));
    expect(read.problem).toEqual(expect.stringContaining(`cannot read ${file}`));
  });

  it('writes atomically: only state.json is left, and it parses', async () => {
    await writeAgentState(file, emptyState());
    await writeAgentState(file, full);
    expect(readdirSync(dir)).toEqual(['state.json']);
    const text = readFileSync(file, 'utf8');
    expect(text.endsWith('\n')).toBe(true);
    expect(withoutTimestamp(agentStateSchema.parse(JSON.parse(text)))).toEqual(withoutTimestamp(full));
  });

  it('replaces a damaged file with a good one', async () => {
    writeFileSync(file, '{"schema":1,"curr');
    await writeAgentState(file, full);
    const read = await readAgentState(file);
    expect(read.problem).toBeUndefined();
    expect(read.state.current).toBe('v42');
    expect(readdirSync(dir)).toEqual(['state.json']);
  });

  it('fails without leaving a temp file when the directory does not exist', async () => {
    const missing = path.join(dir, 'nope', 'state.json');
    await expect(writeAgentState(missing, full)).rejects.toMatchObject({ code: 'ENOENT' });
    expect(readdirSync(dir)).toEqual([]);
  });
});
