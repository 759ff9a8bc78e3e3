import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { agentDefaults } from '../../../../agent/config/defaults';
import { stopBudgetMs } from '../../../../agent/lifecycle/stop-budget';
import { parseUnitFile, timeSpanMs, unitValue, type UnitFile } from '../../../support/systemd-unit';

const repo = path.resolve(__dirname, '../../../..');
const unitPath = path.join(repo, 'infra', 'systemd', 'deploy-agent.service');
/** ALB's default deregistration delay, the longest drain the unit is sized for (AWS docs). */

// systemd-analyze verify of this unit is in `npm run lint` (test/lint/infra/systemd/).
let unit: UnitFile;

beforeAll(async () => {
  unit = parseUnitFile(await readFile(unitPath, 'utf8'));
});

describe('infra/systemd/deploy-agent.service', () => {
  it('runs the npm-installed agent bin as the deploy-agent user with the config install.sh writes', () => {
    expect(unitValue(unit, 'Service', 'ExecStart')).toBe('/opt/deploy-agent/node_modules/.bin/deploy-agent --config /etc/deploy-agent/config.json');
    expect(unitValue(unit, 'Service', 'User')).toBe('deploy-agent');
    expect(unitValue(unit, 'Service', 'Group')).toBe('deploy-agent');
    expect(unitValue(unit, 'Install', 'WantedBy')).toBe('multi-user.target');
  });

  it('restarts on failure within a start limit, but not after a config error (exit 2)', () => {
    expect(unitValue(unit, 'Service', 'Restart')).toBe('on-failure');
    expect(Number(unitValue(unit, 'Unit', 'StartLimitBurst'))).toBeGreaterThan(1);
    expect(timeSpanMs(unitValue(unit, 'Unit', 'StartLimitIntervalSec'))).toBeGreaterThan(
      timeSpanMs(unitValue(unit, 'Service', 'RestartSec')) * Number(unitValue(unit, 'Unit', 'StartLimitBurst')),
    );
    expect(unitValue(unit, 'Service', 'RestartPreventExitStatus')).toBe('2');
  });

  it('sends SIGTERM to the agent only and waits longer than the stop budget of an agent behind a load balancer', () => {
    // agent/main.ts forces its own exit after this: drain (capped) + worker shutdown + WebSocket window + margin.
    const agentStopMs = stopBudgetMs(agentDefaults.app, true);

    expect(unitValue(unit, 'Service', 'KillMode')).toBe('mixed');
    expect(unitValue(unit, 'Service', 'KillSignal')).toBe('SIGTERM');
    expect(timeSpanMs(unitValue(unit, 'Service', 'TimeoutStopSec'))).toBeGreaterThan(agentStopMs);
  });

  it('reloads the config on systemctl reload (SIGHUP to the agent)', () => {
    expect(unitValue(unit, 'Service', 'ExecReload')).toBe('/bin/kill -HUP $MAINPID');
  });

  it('keeps releases in the state directory, the only writable path, and the control socket in its runtime directory', () => {
    expect(`/var/lib/${unitValue(unit, 'Service', 'StateDirectory')}`).toBe(agentDefaults.releasesDir);
    expect(unitValue(unit, 'Service', 'ReadWritePaths')).toBe(agentDefaults.releasesDir);
    expect(unitValue(unit, 'Service', 'RuntimeDirectory')).toBe('deploy-agent');
    expect(unitValue(unit, 'Service', 'ProtectSystem')).toBe('strict');
  });

  it('logs to journald and allows many open files', () => {
    expect(unitValue(unit, 'Service', 'StandardOutput')).toBe('journal');
    expect(unitValue(unit, 'Service', 'StandardError')).toBe('journal');
    expect(Number(unitValue(unit, 'Service', 'LimitNOFILE'))).toBeGreaterThanOrEqual(65_536);
  });

  it.each([
    ['NoNewPrivileges', 'yes'],
    ['PrivateTmp', 'yes'],
    ['PrivateDevices', 'yes'],
    ['ProtectHome', 'yes'],
    ['ProtectKernelTunables', 'yes'],
    ['ProtectKernelModules', 'yes'],
    ['ProtectKernelLogs', 'yes'],
    ['ProtectControlGroups', 'yes'],
    ['ProtectClock', 'yes'],
    ['ProtectHostname', 'yes'],
    ['RestrictAddressFamilies', 'AF_UNIX AF_INET AF_INET6'],
    ['RestrictNamespaces', 'yes'],
    ['RestrictRealtime', 'yes'],
    ['RestrictSUIDSGID', 'yes'],
    ['LockPersonality', 'yes'],
    ['SystemCallArchitectures', 'native'],
    ['SystemCallFilter', '@system-service'],
  ])('is hardened: %s=%s', (key, value) => {
    expect(unitValue(unit, 'Service', key)).toBe(value);
  });

  it('grants no capabilities and leaves W+X memory allowed for the V8 JIT', () => {
    expect(unit.get('Service')?.get('CapabilityBoundingSet')).toEqual([]);
    expect(unit.get('Service')?.get('AmbientCapabilities')).toEqual([]);
    expect(unit.get('Service')?.has('MemoryDenyWriteExecute')).toBe(false);
  });
});
