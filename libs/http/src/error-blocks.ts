/** A module's range of error codes, both ends included. */
export interface ErrorBlock {
  readonly first: number;
  readonly last: number;
}

/**
 * Every module's error-code block, in one place: a new module adds its block here and names it
 * in `defineErrors('<block>', { … })`; apps/api/src/error-codes.spec.ts checks that each table
 * stays inside its block, that no code is used twice and that no blocks overlap. A block never
 * moves or shrinks once a code in it has shipped. Not assigned yet: 2300-2999, 7060-7999.
 */
export const ERROR_BLOCKS = {
  common: { first: 1000, last: 1999 },
  auth: { first: 2000, last: 2099 },
  wechat: { first: 2100, last: 2199 },
  admin: { first: 2200, last: 2299 },
  user: { first: 3000, last: 3999 },
  order: { first: 4000, last: 4499 },
  payment: { first: 4500, last: 4999 },
  upload: { first: 5000, last: 5999 },
  notification: { first: 6000, last: 6999 },
  resilience: { first: 7000, last: 7019 },
  idempotency: { first: 7020, last: 7029 },
  database: { first: 7030, last: 7039 },
  redis: { first: 7040, last: 7049 },
  jobs: { first: 7050, last: 7059 },
} as const satisfies Record<string, ErrorBlock>;

export type ErrorBlockName = keyof typeof ERROR_BLOCKS;

// beside the table rather than in it: code that lists a table's definitions sees definitions only
const blockOfTable = new WeakMap<object, ErrorBlockName>();

export function rememberErrorBlock(table: object, block: ErrorBlockName): void {
  blockOfTable.set(table, block);
}

/** The block a defineErrors() table was declared in. */
export function errorBlockOf(table: object): ErrorBlockName | undefined {
  return blockOfTable.get(table);
}
