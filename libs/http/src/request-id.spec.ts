import type { IncomingMessage } from 'node:http';
import { clientRequestIdOf, requestIdFor, serverRequestIdOf } from './request-id';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const withHeader = (value?: string): IncomingMessage =>
  ({ headers: value === undefined ? {} : { 'x-request-id': value } }) as IncomingMessage;
/** What Fastify does with genReqId: the request's id, beside its raw request. */
const identify = (raw: IncomingMessage) => ({ id: requestIdFor(raw), raw });

describe('request ids', () => {
  it("echoes a plain caller id, and keeps an id of the server's own beside it", () => {
    const request = identify(withHeader('gw-1a2b.c:3'));
    expect(request.id).toBe('gw-1a2b.c:3');
    expect(clientRequestIdOf(request)).toBe('gw-1a2b.c:3');
    expect(serverRequestIdOf(request)).toMatch(UUID);
    // stable for the request: the log line and every audit row of it name the same one
    expect(serverRequestIdOf(request)).toBe(serverRequestIdOf(request));
  });

  it('never lets two requests with one caller id share the server id', () => {
    const [first, second] = [identify(withHeader('same')), identify(withHeader('same'))];
    expect(first.id).toBe(second.id);
    expect(serverRequestIdOf(first)).not.toBe(serverRequestIdOf(second));
  });

  it.each([undefined, '', 'has space', 'line\nbreak', 'x'.repeat(129), '{"json":1}'])(
    'generates a UUID instead of %j, which is then the server id too, and keeps no caller id',
    (value) => {
      const request = identify(withHeader(value));
      expect(request.id).toMatch(UUID);
      expect(serverRequestIdOf(request)).toBe(request.id);
      expect(clientRequestIdOf(request)).toBeNull();
    },
  );

  it('makes a fresh UUID for each request without a caller id', () => {
    expect(identify(withHeader()).id).not.toBe(identify(withHeader()).id);
  });
});
