import type { ArgumentMetadata } from '@nestjs/common';
import { IsInt, IsString, Max, Min } from 'class-validator';
import { AppError } from './app-error';
import { Omittable } from './omittable';
import { createValidationPipe, IntegerFromQuery, ParseIdPipe } from './validation';

class PatchDto {
  @Omittable()
  @IsString()
  name?: string;
}

class PageDto {
  @Omittable()
  @IntegerFromQuery()
  @IsInt()
  @Min(1)
  @Max(1000)
  page?: number;
}

const pipe = createValidationPipe();
const codeOf = async (work: () => unknown): Promise<number | string> => {
  try {
    await work();
    return 'passed';
  } catch (error) {
    return error instanceof AppError ? error.code : String(error);
  }
};
const body = (metatype: ArgumentMetadata['metatype']): ArgumentMetadata => ({ type: 'body', metatype });
const idParam: ArgumentMetadata = { type: 'param', data: 'id', metatype: Number };

describe('validation: what the global pipe and the id pipe let through', () => {
  it('leaves an omitted field alone and refuses null in it (class-validator IsOptional let null skip every check)', async () => {
    expect(await pipe.transform({}, body(PatchDto))).toEqual({});
    expect(await pipe.transform({ name: 'n' }, body(PatchDto))).toEqual({ name: 'n' });
    expect(await codeOf(() => pipe.transform({ name: null }, body(PatchDto)))).toBe(1001);
  });

  it('refuses a JSON body of null, and still takes a request without a body as {}', async () => {
    expect(await codeOf(() => pipe.transform(null, body(PatchDto)))).toBe(1001);
    expect(await pipe.transform(undefined, body(PatchDto))).toEqual({});
  });

  it('converts a query integer only from plain digits', async () => {
    expect(await pipe.transform({ page: '20' }, { type: 'query', metatype: PageDto })).toEqual({ page: 20 });
    for (const page of ['1e3', '+2', ' 2', '2.0', '0x10', '', ['1', '2']]) {
      expect([page, await codeOf(() => pipe.transform({ page }, { type: 'query', metatype: PageDto }))]).toEqual([page, 1001]);
    }
  });

  it('takes a path id written plainly, within an int column, and nothing else', async () => {
    const ids = new ParseIdPipe();
    // the global pipe runs first, then the argument's own
    const parse = async (raw: string) => ids.transform(await pipe.transform(raw, idParam), idParam);
    expect(await parse('1')).toBe(1);
    expect(await parse('2147483647')).toBe(2147483647);
    for (const raw of [' 1', '1 ', '+1', '01', '1e3', '1.0', '0x1', '0', '-1', '2147483648', '99999999999999999999', 'abc', '']) {
      expect([raw, await codeOf(() => parse(raw))]).toEqual([raw, 1015]);
    }
  });
});
