import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { agentDefaults } from '../../../../agent/config/defaults';
import { chooseControlSocket } from '../../../../agent/control/socket-path';

describe('the control socket a command talks to', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'deployctl-socket-path-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  function config(name: string, json: unknown): string {
    const file = path.join(dir, name);
    writeFileSync(file, JSON.stringify(json));
    return file;
  }

  it('takes --socket first, relative to the working directory', async () => {
    const file = config('c.json', { control: { socket: '/elsewhere.sock' } });
    expect(await chooseControlSocket({ socket: 'a.sock', config: file }, dir, file)).toBe(path.join(dir, 'a.sock'));
  });

  it("takes control.socket of --config, relative to the config file's directory like the agent", async () => {
    const file = config('c.json', { control: { socket: 'run/agent.sock' } });
    expect(await chooseControlSocket({ config: file }, '/', '/nonexistent.json')).toBe(path.join(dir, 'run', 'agent.sock'));
  });

  it('falls back to the default socket when the config names none', async () => {
    const file = config('c.json', { store: 'x' });
    expect(await chooseControlSocket({ config: file }, '/', '/nonexistent.json')).toBe(agentDefaults.control.socket);
  });

  it('reads the default config file when there is one, else uses /run/deploy-agent.sock', async () => {
    const file = config('default.json', { control: { socket: '/srv/agent.sock' } });
    expect(await chooseControlSocket({}, '/', file)).toBe('/srv/agent.sock');
    expect(await chooseControlSocket({}, '/', path.join(dir, 'missing.json'))).toBe('/run/deploy-agent.sock');
  });

  it('refuses a --config it cannot read, naming it', async () => {
    const missing = path.join(dir, 'missing.json');
    await expect(chooseControlSocket({ config: missing }, '/', '/nonexistent.json')).rejects.toMatchObject({ code: 'CONFIG_UNREADABLE', message: expect.stringContaining(missing) });
  });
});
