import type { IncomingHttpHeaders } from 'node:http';
import { clientRequestIdOf, requestIdFor } from './request-id';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const withHeader = (value?: string): IncomingHttpHeaders => (value === undefined ? {} : { 'x-request-id': value });

describe('request ids', () => {
  it('gives every request an id of the server, whatever the caller sent', () => {
    const ids = [requestIdFor(), requestIdFor()];
    expect(ids[0]).toMatch(UUID);
    expect(ids[1]).not.toBe(ids[0]);
  });

  it("keeps a plain caller id as the client's, beside ours", () => {
    expect(clientRequestIdOf(withHeader('gw-1a2b.c:3'))).toBe('gw-1a2b.c:3');
  });

  it.each([undefined, '', 'has space', 'line\nbreak', 'x'.repeat(129), '{"json":1}'])('keeps no client id for %j', (value) => {
    expect(clientRequestIdOf(withHeader(value))).toBeNull();
  });
});
