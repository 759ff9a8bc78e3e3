import { clientAddress, engineIoSid, routingKey } from '../../../../../agent/cluster/sticky/routing-key';
import { parseRequestHead } from '../../../../../agent/cluster/sticky/request-head';
import { stickyListenPath, stickyListenPort } from '../../../../../agent/cluster/sticky/sticky-listen-path';

const head = (text: string) => parseRequestHead(Buffer.from(`${text}\r\n\r\n`));

describe('the routing key of a request', () => {
  it('is the engine.io sid of an engine.io request', () => {
    expect(engineIoSid('/socket.io/?EIO=4&transport=polling&t=x&sid=AbC-12_')).toBe('AbC-12_');
  });

  it('is none for a handshake (no sid yet) or a request that is not engine.io', () => {
    expect(engineIoSid('/socket.io/?EIO=4&transport=polling')).toBeUndefined();
    expect(engineIoSid('/search?sid=123')).toBeUndefined();
    expect(routingKey('sid', head('GET / HTTP/1.1'), '10.0.0.1')).toBeUndefined();
  });

  it('is the first X-Forwarded-For address with sticky.by x-forwarded-for, else the peer', () => {
    expect(routingKey('x-forwarded-for', head('GET / HTTP/1.1\r\nX-Forwarded-For: 203.0.113.7, 10.0.0.2'), '10.0.0.2')).toBe('203.0.113.7');
    expect(routingKey('x-forwarded-for', head('GET / HTTP/1.1'), '10.0.0.2')).toBe('10.0.0.2');
    expect(clientAddress(' ', '::1')).toBe('::1');
  });
});

describe("a sticky worker's private socket", () => {
  it('stands for the app port in readiness, and only a sticky one does', () => {
    expect(stickyListenPort(stickyListenPath('/tmp/deployctl-sticky-Ab12', 3000, 42))).toBe(3000);
    expect(stickyListenPort('/run/app/app-3000-w42.sock')).toBeUndefined();
    expect(stickyListenPort(null)).toBeUndefined();
  });
});
