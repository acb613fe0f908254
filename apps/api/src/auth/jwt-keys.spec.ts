import jwt from 'jsonwebtoken';
import { JwtKeyRing, keyIdOf } from './jwt-keys';

const oldSecret = Buffer.from('the-previous-secret-0123456789abcdef');
const newSecret = Buffer.from('the-current-secret-0123456789abcdefgh');

describe('JwtKeyRing', () => {
  it('signs with the current key, naming it in kid', () => {
    const ring = new JwtKeyRing(newSecret, oldSecret);
    const token = jwt.sign({ sub: '1' }, ring.signingKey, { algorithm: 'HS256', keyid: ring.currentKeyId });
    expect(jwt.decode(token, { complete: true })?.header.kid).toBe(keyIdOf(newSecret));
    expect(jwt.verify(token, ring.verificationKeyFor(token), { algorithms: ['HS256'] })).toMatchObject({ sub: '1' });
  });

  it('verifies a token of the previous key with that key, and nothing else with it', () => {
    const ring = new JwtKeyRing(newSecret, oldSecret);
    const before = jwt.sign({ sub: '2' }, oldSecret, { algorithm: 'HS256', keyid: keyIdOf(oldSecret) });
    expect(jwt.verify(before, ring.verificationKeyFor(before), { algorithms: ['HS256'] })).toMatchObject({ sub: '2' });
    // signed with the old key but claiming the new kid, or no kid: checked against the current key, refused
    for (const keyid of [keyIdOf(newSecret), undefined, 'someone-else']) {
      const token = jwt.sign({ sub: '3' }, oldSecret, { algorithm: 'HS256', ...(keyid ? { keyid } : {}) });
      expect(() => jwt.verify(token, ring.verificationKeyFor(token), { algorithms: ['HS256'] })).toThrow(/invalid signature/);
    }
  });

  it('without a previous key, the old tokens are refused', () => {
    const ring = new JwtKeyRing(newSecret);
    const before = jwt.sign({ sub: '4' }, oldSecret, { algorithm: 'HS256', keyid: keyIdOf(oldSecret) });
    expect(() => jwt.verify(before, ring.verificationKeyFor(before), { algorithms: ['HS256'] })).toThrow(/invalid signature/);
    expect(ring.verificationKeyFor('not a token')).toBe(ring.signingKey);
  });
});
