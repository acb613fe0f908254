import { plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';
import { UpdateMeDto } from './update-me.dto';

/** The global ValidationPipe's options (libs/http/src/validation.ts). */
async function problems(body: Record<string, unknown>): Promise<string[]> {
  const errors = await validate(plainToInstance(UpdateMeDto, body), { whitelist: true, forbidNonWhitelisted: true });
  return errors.map((error) => error.property);
}

describe('UpdateMeDto', () => {
  it('counts nickname length in characters as people see them: emoji and Chinese count one each', async () => {
    expect(await problems({ nickname: '😀'.repeat(32) })).toEqual([]);
    expect(await problems({ nickname: '好'.repeat(32) })).toEqual([]);
    expect(await problems({ nickname: '小程序用户😀🎉' })).toEqual([]);
    expect(await problems({ nickname: '😀'.repeat(33) })).toEqual(['nickname']);
    expect(await problems({ nickname: 'a'.repeat(33) })).toEqual(['nickname']);
  });

  it('refuses an empty or blank nickname and non-strings', async () => {
    for (const nickname of ['', '   ', 42, null]) expect(await problems({ nickname })).toEqual(['nickname']);
  });

  it('takes https avatar URLs up to 512 characters only', async () => {
    const base = 'https://thirdwx.qlogo.cn/';
    expect(await problems({ avatarUrl: `${base}a.png` })).toEqual([]);
    expect(await problems({ avatarUrl: `${base}${'a'.repeat(512 - base.length)}` })).toEqual([]);
    expect(await problems({ avatarUrl: `${base}${'a'.repeat(513 - base.length)}` })).toEqual(['avatarUrl']);
    for (const avatarUrl of ['http://thirdwx.qlogo.cn/a.png', 'javascript:alert(1)', 'thirdwx.qlogo.cn/a.png', 'ftp://x/a.png', null]) {
      expect(await problems({ avatarUrl })).toEqual(['avatarUrl']);
    }
  });

  it('refuses every other field (mass assignment)', async () => {
    for (const field of ['role', 'openid', 'id', 'disabled', 'phone', 'unionid']) {
      expect(await problems({ nickname: 'ok', [field]: 'x' })).toEqual([field]);
    }
  });

  it('allows an empty change', async () => {
    expect(await problems({})).toEqual([]);
  });
});
