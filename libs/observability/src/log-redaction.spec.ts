import { Writable } from 'node:stream';
import pino from 'pino';
import { maskPhone, REDACT_PATHS, REDACTED, sanitizeUrl } from './log-redaction';

function capture(): { logger: pino.Logger; lines: () => Array<Record<string, unknown>> } {
  const chunks: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  const logger = pino({ redact: { paths: REDACT_PATHS, censor: REDACTED } }, sink);
  return { logger, lines: () => chunks.join('').trim().split('\n').map((line) => JSON.parse(line)) };
}

describe('log redaction', () => {
  it('hides credentials, WeChat session keys and phone numbers at the top level and at known nested paths', () => {
    const { logger, lines } = capture();
    logger.info(
      {
        password: 'hunter2',
        session_key: 'tiihtNczf5v6AKRyjwEUhQ==',
        user: { phone: '13812345678', nickname: 'ok' },
        req: { headers: { authorization: 'Bearer eyJabc', cookie: 'sid=1' } },
        tokens: { accessToken: 'a', refreshToken: 'r' },
      },
      'login',
    );
    const text = JSON.stringify(lines());
    for (const secret of ['hunter2', 'tiihtNczf5v6AKRyjwEUhQ==', '13812345678', 'eyJabc', 'sid=1', '"a"', '"r"']) {
      expect(text).not.toContain(secret);
    }
    expect(lines()[0]).toMatchObject({ user: { nickname: 'ok', phone: REDACTED } });
  });

  it('hides credential values in query strings but keeps the parameter names', () => {
    expect(sanitizeUrl('/wxa/x?access_token=abc&page=2&js_code=071')).toBe(
      `/wxa/x?access_token=${encodeURIComponent(REDACTED)}&page=2&js_code=${encodeURIComponent(REDACTED)}`,
    );
    expect(sanitizeUrl('/api/v1/ping')).toBe('/api/v1/ping');
  });

  it('masks phone numbers for display', () => {
    expect(maskPhone('13812345678')).toBe('138****5678');
    expect(maskPhone('+86 138-1234-5678')).toBe('138****5678');
    expect(maskPhone('123')).toBe('****');
  });
});
