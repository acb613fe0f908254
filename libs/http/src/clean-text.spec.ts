import { plainToInstance } from 'class-transformer';
import { IsString, validate } from 'class-validator';
import { IsCleanText } from './clean-text';

class Profile {
  @IsString()
  @IsCleanText()
  nickname: string;

  @IsString()
  @IsCleanText({ allowNewlines: true })
  remark: string;

  @IsString({ each: true })
  @IsCleanText({}, { each: true })
  tags: string[];
}

async function problems(body: Partial<Record<keyof Profile, unknown>>): Promise<string[]> {
  const valid = { nickname: 'ok', remark: 'ok', tags: ['ok'] };
  const errors = await validate(plainToInstance(Profile, { ...valid, ...body }));
  return errors.flatMap((error) => Object.values(error.constraints ?? {}));
}

describe('@IsCleanText()', () => {
  it('takes what people type: Chinese, emoji (surrogate pairs), accents, spaces', async () => {
    expect(await problems({ nickname: '小程序用户😀 José', remark: '第一行\n第二行\r\n\tindented', tags: ['🎉', 'a b'] })).toEqual([]);
  });

  it.each([
    ['NUL', 'a\u0000b'],
    ['a control character', 'a\u0007b'],
    ['escape (terminal sequences)', '\u001b[31mred'],
    ['DEL', 'a\u007f'],
    ['a C1 control', 'a\u0085b'],
    ['a line feed', 'a\nb'],
    ['a carriage return (log forging)', 'a\r\nfake log line'],
    ['a tab', 'a\tb'],
    ['U+2028', 'a\u2028b'],
    ['a lone high surrogate', 'a\ud83db'],
    ['a lone low surrogate', '\ude00'],
  ])('refuses %s in a one-line field', async (_name, nickname) => {
    expect(await problems({ nickname })).toEqual(['nickname must not contain control characters']);
  });

  it('lets a multi-line field have line breaks and tabs, and nothing else', async () => {
    expect(await problems({ remark: 'a\nb\r\nc\td' })).toEqual([]);
    for (const remark of ['a\u0000', 'a\u000b', 'a\u000c', '\u001b', 'a\u007f', '\ud800']) {
      expect(await problems({ remark })).toEqual(['remark must not contain control characters other than line breaks and tabs']);
    }
  });

  it('checks each element with { each: true } and leaves non-strings to @IsString', async () => {
    expect(await problems({ tags: ['ok', 'bad\u0000'] })).toEqual(['each value in tags must not contain control characters']);
    expect(await problems({ nickname: 42 })).toEqual(['nickname must be a string']);
  });
});
