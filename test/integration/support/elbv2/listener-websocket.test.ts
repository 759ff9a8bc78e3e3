import { once } from 'node:events';
import { DeregisterTargetsCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import WebSocket from 'ws';
import { startFleet, type Fleet } from '../../../support/elbv2/fleet';
import { delay, waitUntil, withTimeout } from '../../../support/with-timeout';

describe('ELBv2 emulator: WebSocket upgrades through the listener', () => {
  let fleet: Fleet | undefined;
  const sockets: WebSocket[] = [];

  const started = (): Fleet => {
    if (!fleet) throw new Error('fleet not started');
    return fleet;
  };
  const open = async (): Promise<WebSocket> => {
    const ws = new WebSocket(`ws://127.0.0.1:${started().emulator.listenerPort}/ws`);
    sockets.push(ws);
    await withTimeout(once(ws, 'open'), 5000, 'the WebSocket through the listener to open');
    return ws;
  };
  const echo = async (ws: WebSocket, text: string): Promise<string> => {
    const reply = once(ws, 'message').then(([data]: unknown[]) => String(data));
    ws.send(text);
    return withTimeout(reply, 5000, `the echo of '${text}'`);
  };
  const deregister = (name: string) =>
    started().client.send(
      new DeregisterTargetsCommand({
        TargetGroupArn: started().arn,
        Targets: [{ Id: `i-${name}`, Port: started().target(name).port }],
      }),
    );

  afterEach(async () => {
    for (const ws of sockets.splice(0)) {
      ws.on('error', () => undefined); // terminating one still connecting reports an error
      ws.terminate();
    }
    await fleet?.stop();
    fleet = undefined;
  });

  it('proxies a WebSocket upgrade to a healthy target and relays messages both ways', async () => {
    fleet = await startFleet({ names: ['a'] });
    await fleet.registerHealthy('a');

    const ws = await open();

    expect(await echo(ws, 'hello')).toBe('a:hello');
    expect(await echo(ws, 'again')).toBe('a:again');
    expect(fleet.target('a').webSockets()).toBe(1);
  });

  it('round-robins new WebSockets across healthy targets', async () => {
    fleet = await startFleet({ names: ['a', 'b'] });
    await fleet.registerHealthy('a', 'b');

    const replies = [await echo(await open(), 'x'), await echo(await open(), 'x')];

    expect(replies.sort()).toEqual(['a:x', 'b:x']);
  });

  it('opens no new WebSocket to a draining target', async () => {
    fleet = await startFleet({ names: ['a', 'b'], deregistrationDelayS: 2 });
    await fleet.registerHealthy('a', 'b');
    await deregister('b');

    const replies = [await echo(await open(), 'x'), await echo(await open(), 'x')];

    expect(replies).toEqual(['a:x', 'a:x']);
    expect(fleet.target('b').webSockets()).toBe(0);
  });

  it('cuts a WebSocket to a draining target when the delay ends, not before', async () => {
    fleet = await startFleet({ names: ['a'], deregistrationDelayS: 1 });
    await fleet.registerHealthy('a');
    const ws = await open();
    const closedAt = once(ws, 'close').then(() => Date.now());

    const deregisteredAt = Date.now();
    await deregister('a');
    await delay(500);
    const midDelayEcho = await echo(ws, 'still here');

    expect(midDelayEcho).toBe('a:still here');
    expect((await withTimeout(closedAt, 5000, 'the WebSocket to be cut')) - deregisteredAt).toBeGreaterThanOrEqual(990);
    await waitUntil(() => started().target('a').webSockets() === 0, 2000, "a's side of the WebSocket to close");
  });

  it('refuses an upgrade with 503 when no target is registered', async () => {
    fleet = await startFleet({ names: [] });
    const ws = new WebSocket(`ws://127.0.0.1:${fleet.emulator.listenerPort}/ws`);
    sockets.push(ws);

    const [, res] = (await withTimeout(once(ws, 'unexpected-response'), 5000, 'the refused upgrade')) as [
      unknown,
      { statusCode?: number },
    ];

    expect(res.statusCode).toBe(503);
  });
});
