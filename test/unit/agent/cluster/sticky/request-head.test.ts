import { headEnd, parseRequestHead } from '../../../../../agent/cluster/sticky/request-head';

describe('the first request head the sticky router reads', () => {
  it('is incomplete until the blank line arrives', () => {
    expect(headEnd(Buffer.from('GET /socket.io/?EIO=4 HTTP/1.1\r\nHost: x\r\n'))).toBe(-1);
  });

  it('ends past the blank line, with the body after it left alone', () => {
    const bytes = Buffer.from('POST /a HTTP/1.1\r\nContent-Length: 2\r\n\r\n40');
    expect(headEnd(bytes)).toBe(bytes.length - 2);
  });

  it('is not HTTP/1 when the first byte is no method letter (TLS, binary)', () => {
    expect(headEnd(Buffer.from([0x16, 0x03, 0x01]))).toBe(0);
  });

  it('parses the method, the URL and lower-cased headers (first value wins)', () => {
    const head = parseRequestHead(Buffer.from('GET /x?sid=abc HTTP/1.1\r\nX-Forwarded-For: 1.2.3.4, 10.0.0.1\r\nx-forwarded-for: 9.9.9.9\r\n\r\n'));
    expect(head?.method).toBe('GET');
    expect(head?.url).toBe('/x?sid=abc');
    expect(head?.headers.get('x-forwarded-for')).toBe('1.2.3.4, 10.0.0.1');
  });

  it('refuses an HTTP/2 preface as a head', () => {
    expect(parseRequestHead(Buffer.from('PRI * HTTP/2.0\r\n\r\n'))).toBeUndefined();
  });
});
