import { CODE_TTL_MS, derivedOpenid, EmulatorState } from './emulator-state';

describe('EmulatorState (WeChat code rules)', () => {
  let now = 1_000_000;
  const state = () => new EmulatorState(() => now);

  it('exchanges a registered code once, then answers 40163 (code been used)', () => {
    const emulator = state();
    emulator.registerCode('c1', { openid: 'o-1', session_key: 'k1', unionid: 'u-1' });
    expect(emulator.exchangeCode('wxapp', 'c1')).toEqual({ ok: true, body: { openid: 'o-1', session_key: 'k1', unionid: 'u-1' } });
    const again = emulator.exchangeCode('wxapp', 'c1');
    expect(again.ok).toBe(false);
    expect(again.body).toMatchObject({ errcode: 40163 });
  });

  it('expires a registered code after 5 minutes with 40029', () => {
    const emulator = state();
    emulator.registerCode('c2', { openid: 'o-2', session_key: 'k2' });
    now += CODE_TTL_MS + 1;
    expect(emulator.exchangeCode('wxapp', 'c2').body).toMatchObject({ errcode: 40029 });
  });

  it('returns the registered errcode for that exchange', () => {
    const emulator = state();
    emulator.registerCode('busy', { errcode: -1 });
    expect(emulator.exchangeCode('wxapp', 'busy').body).toMatchObject({ errcode: -1, errmsg: expect.stringContaining('system error') });
  });

  it('accepts an unknown code with a stable openid derived from appid and code', () => {
    const first = state().exchangeCode('wxapp', 'dev-code');
    const second = state().exchangeCode('wxapp', 'dev-code');
    expect(first.ok && second.ok).toBe(true);
    expect(first.body).toMatchObject({ openid: derivedOpenid('wxapp', 'dev-code') });
    expect((first.body as { openid: string }).openid).toHaveLength(28);
    expect(first.body).toMatchObject({ openid: (second.body as { openid: string }).openid });
  });

  it('keeps one stable_token until it expires or a refresh is forced', () => {
    const emulator = state();
    const a = emulator.stableToken(false);
    expect(emulator.stableToken(false).access_token).toBe(a.access_token);
    expect(emulator.checkToken(a.access_token)).toBe(0);
    const forced = emulator.stableToken(true);
    expect(forced.access_token).not.toBe(a.access_token);
    expect(emulator.tokensIssued).toBe(2);
    now += 7200 * 1000;
    expect(emulator.checkToken(forced.access_token)).toBe(42001);
    expect(emulator.checkToken('never-issued')).toBe(40001);
  });

  it('serves a phone code once', () => {
    const emulator = state();
    emulator.registerPhone('p1', { phoneNumber: '13800000000' });
    expect(emulator.exchangePhoneCode('p1')).toMatchObject({ phoneNumber: '13800000000' });
    expect(emulator.exchangePhoneCode('p1')).toMatchObject({ errcode: 40163 });
    expect(emulator.exchangePhoneCode('unknown')).toMatchObject({ errcode: 40029 });
  });

  it('counts a fault down per call', () => {
    const emulator = state();
    emulator.addFault({ path: '/x', times: 2, errcode: -1 });
    expect(emulator.takeFault('/x')).toMatchObject({ errcode: -1 });
    expect(emulator.takeFault('/x')).toMatchObject({ errcode: -1 });
    expect(emulator.takeFault('/x')).toBeNull();
  });
});
