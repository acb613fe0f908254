import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { AccessError, CommonError, ERROR_BLOCKS, errorBlockOf, type ErrorDefinition, IdempotencyError } from '@app/http';
// the files, not the lib indexes: those load Nest modules Jest cannot load (ADR 0003)
import { DatabaseError } from '@app/resilience/dependencies/database.errors';
import { JobsError } from '@app/jobs/jobs.errors';
import { RedisError } from '@app/resilience/dependencies/redis.errors';
import { ResilienceError } from '@app/resilience/resilience.errors';
import { WechatError } from '@app/wechat/wechat.errors';
import { WechatPayError } from '@app/wechat/pay/wechat-pay.errors';
import { AdminError } from './admin/admin.errors';
import { AuthError } from './auth/auth.errors';
import { UploadError } from './upload/upload.errors';
import { UserError } from './user/user.errors';
import { CatalogueError } from './catalogue/catalogue.errors';
import { OrderError } from './order/order.errors';

/** Every defineErrors() table in apps/ and libs/ (the first test fails when one is missing). */
const TABLES: Record<string, Readonly<Record<string, ErrorDefinition>>> = {
  CommonError,
  AccessError,
  IdempotencyError,
  ResilienceError,
  DatabaseError,
  RedisError,
  JobsError,
  WechatError,
  WechatPayError,
  AuthError,
  AdminError,
  UserError,
  CatalogueError,
  OrderError,
  UploadError,
};

const definitions = Object.entries(TABLES).flatMap(([table, entries]) =>
  Object.entries(entries).map(([name, definition]) => ({ where: `${table}.${name}`, table, code: definition.code, definition })),
);

/** Names of the tables declared with `export const X = defineErrors(` in production sources. */
function declaredTables(): string[] {
  const names: string[] = [];
  for (const root of ['apps', 'libs']) {
    for (const file of readdirSync(resolve(root), { recursive: true, encoding: 'utf8' })) {
      if (!file.endsWith('.ts') || file.endsWith('.spec.ts')) continue;
      const source = readFileSync(join(resolve(root), file), 'utf8');
      for (const match of source.matchAll(/export const (\w+) = defineErrors\(/g)) names.push(match[1]);
    }
  }
  return names.sort();
}

describe('error codes (clients match on them: unique, each in its module block)', () => {
  it('checks every table declared in the repository', () => {
    expect(declaredTables()).toEqual(Object.keys(TABLES).sort());
  });

  it('never uses a code twice', () => {
    // a table may include another's definitions (AuthError spreads AccessError): the same object is one use
    const byCode = new Map<number, Map<ErrorDefinition, string>>();
    for (const { code, where, definition } of definitions) {
      const uses = byCode.get(code) ?? new Map<ErrorDefinition, string>();
      if (!uses.has(definition)) uses.set(definition, where);
      byCode.set(code, uses);
    }
    const shared = [...byCode].filter(([, uses]) => uses.size > 1).map(([code, uses]) => `${code}: ${[...uses.values()].join(', ')}`);
    expect(shared).toEqual([]);
  });

  it('keeps each table inside the block it declares in defineErrors()', () => {
    const outside = Object.entries(TABLES).flatMap(([table, entries]) => {
      const name = errorBlockOf(entries);
      if (name === undefined) return [`${table}: declared without a block`];
      const { first, last } = ERROR_BLOCKS[name];
      return definitions
        .filter((definition) => definition.table === table && !(Number.isInteger(definition.code) && definition.code >= first && definition.code <= last))
        .map(({ where, code }) => `${where} = ${code}: outside ${name} (${first}-${last})`);
    });
    expect(outside).toEqual([]);
  });

  it('gives every module a block of its own: blocks do not overlap', () => {
    const blocks = Object.entries(ERROR_BLOCKS).sort(([, a], [, b]) => a.first - b.first);
    const problems = blocks.flatMap(([name, { first, last }], index) => {
      const previous = blocks[index - 1];
      if (first > last) return [`${name}: ${first}-${last} is empty`];
      if (previous && first <= previous[1].last) return [`${name} (${first}-${last}) overlaps ${previous[0]} (${previous[1].first}-${previous[1].last})`];
      return [];
    });
    expect(problems).toEqual([]);
  });
});
