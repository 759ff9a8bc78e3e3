import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { AGENT_NODE_FLAGS } from '../../../agent/lifecycle/node-flags';
import { CONTROL_COMMANDS } from '../../../agent/control/control-cli';
import { COMMANDS } from '../../../cli/main';
import { repoRoot } from '../../support/fixture-releases';
import { codeBlocks, readmeSection, readReadme } from '../../support/readme';

const readme = readReadme();

/** The README's synopsis lines (```text blocks) that start with `tool`. */
function synopses(tool: string): string[] {
  return codeBlocks(readme)
    .filter((b) => b.lang === 'text')
    .flatMap((b) => b.lines)
    .filter((line) => line.startsWith(`${tool} `));
}

const flagsIn = (text: string): string[] => [...new Set(text.match(/--[a-z][a-z-]*/g) ?? [])].sort();

/** The options a help text lists (`  --flag ARG   meaning`, `  -h, --help`), without --help. */
const helpFlags = (help: string): string[] =>
  [...new Set([...help.matchAll(/^ {2}(?:-\w, )?(--[a-z][a-z-]*)/gm)].map((m) => m[1] ?? ''))].filter((f) => f !== '--help').sort();

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return /\.(ts|js)$/.test(entry.name) ? [full] : [];
  });
}

describe('the README CLI reference', () => {
  it('has a deployctl synopsis for every command', () => {
    const names = synopses('deployctl').map((line) => line.split(' ')[1]);
    expect(names).toEqual([...COMMANDS.map((c) => c.name), 'help']);
  });

  test.each(COMMANDS.map((c) => [c.name, c.help] as const))('lists exactly the flags of deployctl %s', (name, help) => {
    const line = synopses('deployctl').find((l) => l.startsWith(`deployctl ${name} `)) ?? '';
    expect(flagsIn(line)).toEqual(helpFlags(help));
  });

  it('lists exactly the flags of deploy-agent and its control commands', () => {
    const [daemon, control] = synopses('deploy-agent');
    const help = spawnSync(process.execPath, [...AGENT_NODE_FLAGS, path.join(repoRoot(), 'dist', 'agent', 'main.js'), '--help'], { encoding: 'utf8', timeout: 30_000 });
    expect(help.status).toBe(0);
    expect(flagsIn(daemon ?? '')).toEqual(helpFlags(help.stdout.split('\nCommands')[0] ?? ''));
    expect((control ?? '').split(' ')[1]).toBe(CONTROL_COMMANDS.map((c) => c.name).join('|'));
    for (const command of CONTROL_COMMANDS) expect(flagsIn(control ?? '')).toEqual(helpFlags(command.help));
  });
});

describe('the README troubleshooting tables', () => {
  const section = readmeSection(readme, 'Troubleshooting');
  const codes = [...new Set([...section.matchAll(/`([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)`/g)].map((m) => m[1] ?? ''))];
  const sources = [...sourceFiles(path.join(repoRoot(), 'agent')), ...sourceFiles(path.join(repoRoot(), 'cli'))]
    .map((file) => readFileSync(file, 'utf8'))
    .join('\n');

  it('name the codes of the common failures', () => {
    expect(codes).toEqual(
      expect.arrayContaining(['MANIFEST_NOT_FOUND', 'ARTIFACT_HASH_MISMATCH', 'SIGNATURE_INVALID', 'SLOT_TIMEOUT', 'TARGET_NOT_HEALTHY', 'ELB_CALL_FAILED']),
    );
  });

  test.each(codes)('%s is a code agent/ or cli/ raises', (code) => {
    expect(sources.includes(`'${code}'`)).toBe(true);
  });
});

describe('the README WebSocket example', () => {
  it('is examples/websocket-app/server.js, the file its test deploys', () => {
    const [block, ...more] = codeBlocks(readme).filter((b) => b.lang === 'js' && b.heading === 'WebSocket apps');
    expect(more).toEqual([]);
    const file = readFileSync(path.join(repoRoot(), 'examples', 'websocket-app', 'server.js'), 'utf8');
    expect(`${(block?.lines ?? []).join('\n')}\n`).toBe(file);
    const test = readFileSync(path.join(repoRoot(), 'test', 'integration', 'examples', 'websocket-app.test.ts'), 'utf8');
    expect(test).toContain("path.join('examples', 'websocket-app', 'server.js')");
  });
});

describe('the README socket.io example', () => {
  it('is examples/socketio-app/server.js, the file its test deploys', () => {
    const [block, ...more] = codeBlocks(readme).filter((b) => b.lang === 'js' && b.heading === 'socket.io and sticky sessions');
    expect(more).toEqual([]);
    const file = readFileSync(path.join(repoRoot(), 'examples', 'socketio-app', 'server.js'), 'utf8');
    expect(`${(block?.lines ?? []).join('\n')}\n`).toBe(file);
    const test = readFileSync(path.join(repoRoot(), 'test', 'integration', 'examples', 'socketio-app.test.ts'), 'utf8');
    expect(test).toContain("path.join('examples', 'socketio-app', 'server.js')");
  });
});

describe('npm scripts named in the README', () => {
  it('are all in package.json', () => {
    const scripts = (JSON.parse(readFileSync(path.join(repoRoot(), 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
    const named = [...new Set([...readme.matchAll(/npm run ([a-z][\w:-]*)/g)].map((m) => m[1] ?? ''))];
    expect(named).toEqual(expect.arrayContaining(['demo', 'docs:config', 'bench:soak']));
    expect(named.filter((name) => scripts[name] === undefined)).toEqual([]);
  });
});
