import { once } from 'node:events';
import { Agent } from 'node:http';
import type { Socket } from 'node:net';
import { DeregisterTargetsCommand, RegisterTargetsCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { startFleet, type Fleet } from '../../../support/elbv2/fleet';
import { httpGet } from '../../../support/elbv2/http-get';
import { waitForTargetState } from '../../../support/elbv2/wait-for-target';
import { delay, waitUntil, withTimeout } from '../../../support/with-timeout';

describe('ELBv2 emulator: HTTP listener', () => {
  let fleet: Fleet | undefined;
  const agents: Agent[] = [];

  const keepAliveAgent = (): Agent => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    agents.push(agent);
    return agent;
  };
  const started = (): Fleet => {
    if (!fleet) throw new Error('fleet not started');
    return fleet;
  };
  const get = (path = '/', agent?: Agent) =>
    withTimeout(httpGet(started().emulator.listenerPort, path, agent), 5000, `GET ${path} through the listener`);
  const deregister = (name: string) =>
    started().client.send(
      new DeregisterTargetsCommand({
        TargetGroupArn: started().arn,
        Targets: [{ Id: `i-${name}`, Port: started().target(name).port }],
      }),
    );

  afterEach(async () => {
    for (const agent of agents.splice(0)) agent.destroy();
    await fleet?.stop();
    fleet = undefined;
  });

  it('round-robins requests across two healthy targets', async () => {
    fleet = await startFleet({ names: ['a', 'b'] });
    await fleet.registerHealthy('a', 'b');

    const served: Array<string | undefined> = [];
    for (let i = 0; i < 6; i += 1) served.push((await get(`/r${i}`)).target);

    expect(served.filter((t) => t === 'a')).toHaveLength(3);
    expect(served.filter((t) => t === 'b')).toHaveLength(3);
    served.forEach((t, i) => expect(t).not.toBe(served[i - 1]));
  });

  it('forwards the request and answer, adding X-Forwarded-* headers', async () => {
    fleet = await startFleet({ names: ['a'] });
    await fleet.registerHealthy('a');

    const res = await get('/hello?x=1');

    expect(res).toEqual({ status: 200, body: 'a', target: 'a' });
    const hits = fleet.target('a').hits;
    expect(hits.map((h) => h.url)).toEqual(['/hello?x=1']);
    expect(hits[0]?.headers).toMatchObject({
      'x-forwarded-for': '127.0.0.1',
      'x-forwarded-proto': 'http',
      'x-forwarded-port': String(fleet.emulator.listenerPort),
      'x-amzn-trace-id': expect.stringMatching(/^Root=1-[0-9a-f]{8}-[0-9a-f]{24}$/) as unknown,
    });
  });

  it('sends nothing to a draining target', async () => {
    fleet = await startFleet({ names: ['a', 'b'], deregistrationDelayS: 2 });
    await fleet.registerHealthy('a', 'b');
    await deregister('b');
    const hitsOfB = fleet.target('b').hits.length;

    const served: Array<string | undefined> = [];
    for (let i = 0; i < 6; i += 1) served.push((await get()).target);

    expect(served).toEqual(['a', 'a', 'a', 'a', 'a', 'a']);
    expect(fleet.target('b').hits).toHaveLength(hitsOfB);
  });

  it('moves the next request of a connection pinned to a draining target to another target', async () => {
    fleet = await startFleet({ names: ['a', 'b'], deregistrationDelayS: 2 });
    await fleet.registerHealthy('a', 'b');
    const agent = keepAliveAgent();
    const first = await get('/first', agent);
    const other = first.target === 'a' ? 'b' : 'a';

    await deregister(first.target ?? '');
    const second = await get('/second', agent);

    expect(second.target).toBe(other);
  });

  it('lets a request in flight to a target finish after it starts draining', async () => {
    fleet = await startFleet({ names: ['a'], deregistrationDelayS: 2 });
    await fleet.registerHealthy('a');

    const slow = get('/slow?ms=600');
    await waitUntil(() => started().target('a').hits.length === 1, 2000, 'the slow request to reach a');
    await deregister('a');

    await expect(slow).resolves.toMatchObject({ status: 200, target: 'a' });
  });

  it('cuts a keep-alive connection pinned to a draining target when the delay ends, not before', async () => {
    fleet = await startFleet({ names: ['a'], deregistrationDelayS: 1 });
    await fleet.registerHealthy('a');
    const agent = keepAliveAgent();
    const sockets: Socket[] = [];
    agent.on('free', (socket: Socket) => sockets.push(socket));
    await get('/', agent);
    const socket = sockets[0];
    if (!socket) throw new Error('the keep-alive socket was not kept');
    const closed = once(socket, 'close').then(() => Date.now());
    expect(fleet.emulator.connectionsTo(fleet.arn, 'i-a', fleet.target('a').port)).toBe(1);

    const deregisteredAt = Date.now();
    await deregister('a');
    await delay(500);
    const openMidDelay = !socket.destroyed;
    const closedAt = await withTimeout(closed, 5000, 'the pinned keep-alive connection to close');

    expect(openMidDelay).toBe(true);
    expect(closedAt - deregisteredAt).toBeGreaterThanOrEqual(990);
    await waitUntil(() => started().target('a').openConnections() === 0, 2000, "a's upstream connection to close");
    expect(fleet.emulator.connectionsTo(fleet.arn, 'i-a', fleet.target('a').port)).toBe(0);
  });

  it('answers 503 when no target is registered', async () => {
    fleet = await startFleet({ names: [] });

    await expect(get()).resolves.toMatchObject({ status: 503 });
  });

  it('answers 503 once the only target has drained', async () => {
    fleet = await startFleet({ names: ['a'], deregistrationDelayS: 0 });
    await fleet.registerHealthy('a');
    await deregister('a');
    await waitForTargetState(fleet.client, fleet.arn, 'i-a', 'gone', 2000);

    await expect(get()).resolves.toMatchObject({ status: 503 });
  });

  it('fails open to every registered target when none is healthy', async () => {
    fleet = await startFleet({ names: ['a', 'b'], healthStatus: 500 });
    const { client, arn } = fleet;
    const refs = fleet.targets.map((t) => ({ Id: `i-${t.name}`, Port: t.port }));
    await client.send(new RegisterTargetsCommand({ TargetGroupArn: arn, Targets: refs }));
    for (const ref of refs) await waitForTargetState(client, arn, ref.Id, 'unhealthy', 5000);

    const served = [(await get()).target, (await get()).target];

    expect(served.sort()).toEqual(['a', 'b']);
  });

  it('prefers healthy targets over unhealthy ones', async () => {
    fleet = await startFleet({ names: ['a', 'b'] });
    await fleet.registerHealthy('a', 'b');
    fleet.target('b').healthStatus = 500;
    await waitForTargetState(fleet.client, fleet.arn, 'i-b', 'unhealthy', 5000);

    const served = [(await get()).target, (await get()).target, (await get()).target];

    expect(served).toEqual(['a', 'a', 'a']);
  });
});
