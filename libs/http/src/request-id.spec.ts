import type { IncomingMessage } from 'node:http';
import { requestIdFor } from './request-id';

const withHeader = (value?: string): IncomingMessage =>
  ({ headers: value === undefined ? {} : { 'x-request-id': value } }) as IncomingMessage;

describe('requestIdFor', () => {
  it('keeps a plain caller id', () => {
    expect(requestIdFor(withHeader('gw-1a2b.c:3'))).toBe('gw-1a2b.c:3');
  });

  it.each([undefined, '', 'has space', 'line\nbreak', 'x'.repeat(129), '{"json":1}'])(
    'generates a UUID instead of %j',
    (value) => {
      expect(requestIdFor(withHeader(value))).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    },
  );
});
