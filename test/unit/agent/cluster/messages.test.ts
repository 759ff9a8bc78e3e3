import {
  CLOSE_WEBSOCKETS_EVENT,
  closeWebSockets,
  connectionsAnswer,
  countConnections,
  crashedError,
  messageKey,
  serviceDrain,
  serviceResume,
  READY,
  SHUTDOWN,
} from '../../../../agent/cluster/messages';

describe('IPC words', () => {
  test('apps see the same words pm2 uses', () => {
    expect(READY).toBe('ready');
    expect(SHUTDOWN).toBe('shutdown');
  });

  test('closeWebSockets builds the control message for the drain preload', () => {
    expect(closeWebSockets(2_000)).toEqual({ deployctl: 'close-websockets', windowMs: 2_000 });
    expect(CLOSE_WEBSOCKETS_EVENT).toBe('deployctl:close-websockets');
  });

  test('service-out words for the drain preload', () => {
    expect(serviceDrain(500)).toEqual({ deployctl: 'service-drain', windowMs: 500 });
    expect(serviceResume()).toEqual({ deployctl: 'service-resume' });
    expect(countConnections(7)).toEqual({ deployctl: 'count-connections', id: 7 });
  });
});

describe('connectionsAnswer', () => {
  test('reads the id and count of an answer', () => {
    expect(messageKey({ deployctl: 'connections', id: 3, open: 2 })).toBe('connections');
    expect(connectionsAnswer({ deployctl: 'connections', id: 3, open: 2 })).toEqual({ id: 3, open: 2 });
  });

  test.each([
    [{ deployctl: 'connections', id: 3 }],
    [{ deployctl: 'connections', id: '3', open: 2 }],
    [{ deployctl: 'connections', id: 3, open: -1 }],
    [{ deployctl: 'connections', id: 3, open: 1.5 }],
  ])('refuses a malformed answer %j', (message) => {
    expect(connectionsAnswer(message)).toBeUndefined();
  });
});

describe('messageKey', () => {
  test("routes the 'ready' string to 'ready'", () => {
    expect(messageKey('ready')).toBe('ready');
  });

  test("routes {deployctl: 'crashed'} to 'crashed'", () => {
    expect(messageKey({ deployctl: 'crashed', error: 'Error: boom' })).toBe('crashed');
    expect(messageKey({ deployctl: 'crashed' })).toBe('crashed');
  });

  test.each([
    ['another string', 'hello'],
    ['a differently cased ready', 'READY'],
    ['shutdown (it only goes the other way)', 'shutdown'],
    ['an object with { cmd }', { cmd: 'ready' }],
    ['another deployctl word', { deployctl: 'close-websockets', windowMs: 1 }],
    ["'crashed' under another key", { type: 'crashed' }],
    ['null', null],
    ['undefined', undefined],
    ['a number', 42],
    ['an array', ['ready']],
  ])("ignores the app's own messages: %s", (_label, message) => {
    expect(messageKey(message)).toBeUndefined();
  });
});

describe('crashedError', () => {
  test('returns the error the preload reported', () => {
    expect(crashedError({ deployctl: 'crashed', error: 'TypeError: x is not a function' })).toBe(
      'TypeError: x is not a function',
    );
  });

  test.each([
    ['missing', { deployctl: 'crashed' }],
    ['not a string', { deployctl: 'crashed', error: { message: 'boom' } }],
    ['a number', { deployctl: 'crashed', error: 1 }],
  ])("says 'unknown error' when the error is %s", (_label, message) => {
    expect(crashedError(message)).toBe('unknown error');
  });
});
