import { createHash, createHmac } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { canonicalRequest, checkSignature, SIGNATURE_WINDOW_MS } from './request-signing';

const signKey = 'per-session-key';
const now = 1_764_000_000_000;
const body = '{"name":"订单","quantity":1}';
const bodySha256 = createHash('sha256').update(body).digest('hex');
const request = (overrides: Partial<FastifyRequest> = {}) =>
  ({ method: 'POST', url: '/api/v1/orders?from=cart', bodySha256, ...overrides }) as FastifyRequest;
const sign = (timestamp: number, nonce: string, url = '/api/v1/orders?from=cart', hash = bodySha256) =>
  createHmac('sha256', signKey).update(canonicalRequest('POST', url, String(timestamp), nonce, hash)).digest('hex');

describe('checkSignature', () => {
  it('accepts the HMAC of method, path?query, timestamp, nonce and body hash', () => {
    const headers = { timestamp: String(now), nonce: 'nonce-0001', signature: sign(now, 'nonce-0001') };
    expect(checkSignature(request(), headers, signKey, now)).toBeNull();
  });

  it('accepts the edge of the 5-minute window and refuses beyond it', () => {
    const edge = now - SIGNATURE_WINDOW_MS;
    expect(checkSignature(request(), { timestamp: String(edge), nonce: 'nonce-edge', signature: sign(edge, 'nonce-edge') }, signKey, now)).toBeNull();
    const stale = edge - 1;
    expect(checkSignature(request(), { timestamp: String(stale), nonce: 'nonce-old', signature: sign(stale, 'nonce-old') }, signKey, now)).toBe('stale');
    const future = now + SIGNATURE_WINDOW_MS + 1;
    expect(checkSignature(request(), { timestamp: String(future), nonce: 'nonce-new', signature: sign(future, 'nonce-new') }, signKey, now)).toBe('stale');
  });

  it('refuses any change to the signed parts', () => {
    const headers = { timestamp: String(now), nonce: 'nonce-0002', signature: sign(now, 'nonce-0002') };
    expect(checkSignature(request({ url: '/api/v1/orders?from=ad' }), headers, signKey, now)).toBe('mismatch');
    expect(checkSignature(request({ method: 'PUT' }), headers, signKey, now)).toBe('mismatch');
    expect(checkSignature(request({ bodySha256: createHash('sha256').update('{}').digest('hex') }), headers, signKey, now)).toBe('mismatch');
    expect(checkSignature(request(), { ...headers, nonce: 'nonce-0003' }, signKey, now)).toBe('mismatch');
    expect(checkSignature(request(), headers, 'another-session-key', now)).toBe('mismatch');
  });

  it('treats missing or malformed headers as unsigned', () => {
    const signature = sign(now, 'nonce-0004');
    expect(checkSignature(request(), { timestamp: undefined, nonce: 'nonce-0004', signature }, signKey, now)).toBe('missing');
    expect(checkSignature(request(), { timestamp: String(now), nonce: 'short', signature }, signKey, now)).toBe('missing');
    expect(checkSignature(request(), { timestamp: 'yesterday', nonce: 'nonce-0004', signature }, signKey, now)).toBe('missing');
    expect(checkSignature(request(), { timestamp: String(now), nonce: 'nonce-0004', signature: 'zz' }, signKey, now)).toBe('mismatch');
  });

  it('hashes an absent body as the empty string', () => {
    const emptyHash = createHash('sha256').update('').digest('hex');
    const headers = { timestamp: String(now), nonce: 'nonce-0005', signature: sign(now, 'nonce-0005', '/api/v1/orders?from=cart', emptyHash) };
    expect(checkSignature(request({ bodySha256: undefined }), headers, signKey, now)).toBeNull();
  });

  it('fails closed when a body arrived that nothing hashed, instead of checking the empty body\'s hash', () => {
    const emptyHash = createHash('sha256').update('').digest('hex');
    // signed over an empty body while the request carries one: what an unhashed signed route used to accept
    const headers = { timestamp: String(now), nonce: 'nonce-0006', signature: sign(now, 'nonce-0006', '/api/v1/orders?from=cart', emptyHash) };
    const unhashed = request({ bodySha256: undefined, body: { quantity: 99 }, routeOptions: { url: '/api/v1/orders' } } as Partial<FastifyRequest>);
    expect(() => checkSignature(unhashed, headers, signKey, now)).toThrow(/body was not hashed/);
  });
});
