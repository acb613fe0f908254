import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { getMetadataStorage } from 'class-validator';
import { IS_CLEAN_TEXT } from '@app/http';

const SOURCES = resolve('apps/api/src');
// a closed list of values cannot carry a control character
const CLOSED_VOCABULARY = new Set(['isIn', 'isEnum', 'isBoolean']);

const sourceFiles = (): string[] =>
  readdirSync(SOURCES, { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.ts') && !file.endsWith('.spec.ts'))
    .sort();
const inDtoFolder = (file: string): boolean => file.split('/').includes('dto');

type Constructor = new (...args: never[]) => object;

async function dtoClasses(): Promise<Array<{ file: string; dto: Constructor }>> {
  const classes: Array<{ file: string; dto: Constructor }> = [];
  for (const file of sourceFiles().filter(inDtoFolder)) {
    const exports = (await import(join(SOURCES, file))) as Record<string, unknown>;
    for (const value of Object.values(exports)) {
      if (typeof value === 'function' && /^class\s/.test(Function.prototype.toString.call(value)) && value.name.endsWith('Dto')) {
        classes.push({ file, dto: value as Constructor });
      }
    }
  }
  return classes;
}

/** `Dto.field` for each string field (by its TypeScript type or an @IsString) without @IsCleanText or a closed list. */
function uncheckedStringFields(dto: Constructor): string[] {
  const metadata = getMetadataStorage().getTargetValidationMetadatas(dto, '', true, false);
  const properties = new Set(metadata.map((entry) => entry.propertyName));
  const unchecked: string[] = [];
  for (const property of properties) {
    const names = new Set(metadata.filter((entry) => entry.propertyName === property).map((entry) => entry.name ?? entry.type));
    const declared = Reflect.getMetadata('design:type', dto.prototype, property) as unknown;
    const isText = declared === String || names.has('isString');
    if (isText && !names.has(IS_CLEAN_TEXT) && ![...names].some((name) => CLOSED_VOCABULARY.has(name))) {
      unchecked.push(`${dto.name}.${property}`);
    }
  }
  return unchecked;
}

describe('text hygiene of request DTOs (issue 14)', () => {
  it('finds the DTOs (a broken search would pass everything)', async () => {
    const names = (await dtoClasses()).map(({ dto }) => dto.name);
    expect(names).toEqual(expect.arrayContaining(['UpdateMeDto', 'WechatLoginDto', 'AdminLoginDto', 'EchoDto']));
  });

  it('keeps request DTOs in dto/ folders, where the next test finds them', () => {
    const elsewhere = sourceFiles().filter((file) => !inDtoFolder(file) && /export class \w+Dto\b/.test(readFileSync(join(SOURCES, file), 'utf8')));
    expect(elsewhere).toEqual([]);
  });

  it('puts @IsCleanText() (or a closed list: @IsIn, @IsEnum) on every string field', async () => {
    const unchecked = (await dtoClasses()).flatMap(({ file, dto }) => uncheckedStringFields(dto).map((field) => `${field} (${file})`));
    expect(unchecked).toEqual([]);
  });

  it('would notice a field without it', () => {
    class CarelessDto {
      nickname: string;
    }
    // what @IsString() records, without importing a decorator into a spec-local class
    getMetadataStorage().addValidationMetadata({
      type: 'customValidation',
      name: 'isString',
      target: CarelessDto,
      propertyName: 'nickname',
      constraints: [],
      validationTypeOptions: {},
      each: false,
      always: false,
      groups: [],
      context: undefined,
      message: undefined,
      constraintCls: Object,
    } as never);
    expect(uncheckedStringFields(CarelessDto)).toEqual(['CarelessDto.nickname']);
  });
});
