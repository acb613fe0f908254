import { jest } from '@jest/globals';
import type { InjectionToken, Type, ValueProvider } from '@nestjs/common';
import { OPTIONAL_DEPS_METADATA, PARAMTYPES_METADATA, SELF_DECLARED_DEPS_METADATA } from '@nestjs/common/constants';
import { ConfigService } from '@nestjs/config';
import { Reflector } from '@nestjs/core';
import { getRepositoryToken } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
// the files, not @app/cache: its index loads the Nest module, which Jest cannot load (ADR 0003)
import { loadCacheConfig } from '@app/cache/cache.config';
import { TwoLevelCache } from '@app/cache/two-level-cache';
import { TransactionRunner } from '@app/database';

export interface TestServiceOptions {
  /** Stand-ins by injection token, as in a Nest module: `{ provide: AUTH_CONFIG, useValue: config }`. */
  providers?: ValueProvider[];
  /** Serves @InjectRepository(Entity), DataSource and TransactionRunner parameters (see useTestDataSource). */
  dataSource?: DataSource;
  /** What a ConfigService parameter reads, by namespace: `{ wechat: { appId: 'wx-test' } }`. */
  config?: Record<string, unknown>;
}

export interface TestService<T> {
  /** The service under test. */
  readonly sut: T;
  /** The fake that stands in for a class parameter nobody provided: every method a jest.fn(). */
  fake<D extends object>(type: Type<D>): jest.Mocked<D>;
}

/**
 * Builds a Nest provider class the way Nest would, with a stand-in for every constructor
 * parameter (immich's newTestService):
 * - a `providers` entry for its token, if there is one;
 * - Reflector, ConfigService (with `config`), and TwoLevelCache as in the embedded profile
 *   (in process only): real, cheap, no I/O;
 * - repositories, DataSource and TransactionRunner on `dataSource`;
 * - any other class: a fake whose methods are jest.fn(), read back with `fake(Type)`;
 * - @Optional() parameters with none of the above: undefined, as Nest leaves them.
 * Other tokens (configs under a symbol, interfaces) have no sensible default and must be provided.
 *
 *   const { sut: guard, fake } = newTestService(AuthGuard, { providers: [{ provide: AUTH_CONFIG, useValue: config }] });
 *   fake(AuthSessionService).authenticate.mockResolvedValue(alice);
 */
export function newTestService<T>(Service: Type<T>, options: TestServiceOptions = {}): TestService<T> {
  const provided = new Map<InjectionToken, unknown>((options.providers ?? []).map((provider) => [provider.provide, provider.useValue]));
  const fakes = new Map<Type, object>();

  const standIn = (token: InjectionToken, index: number, optional: boolean): unknown => {
    if (provided.has(token)) return provided.get(token);
    if (token === Reflector) return new Reflector();
    if (token === ConfigService) return new ConfigService(options.config ?? {});
    if (token === TwoLevelCache) return new TwoLevelCache({ config: loadCacheConfig({}), redis: null, subscriber: null });
    const fromData = dataPart(token, options.dataSource);
    if (fromData !== undefined) return fromData;
    if (optional) return undefined;
    if (isRepositoryToken(token)) {
      throw new Error(`${Service.name} needs ${String(token)} (parameter ${index}): pass a dataSource (useTestDataSource) that has its entity`);
    }
    if (isClass(token)) {
      const fake = fakeOf(token);
      fakes.set(token, fake);
      return fake;
    }
    throw new Error(
      `${Service.name} needs ${tokenName(token)} (parameter ${index}), which has no default: ` +
        `pass { provide: ${tokenName(token)}, useValue: … } in providers`,
    );
  };

  const optionalIndexes = new Set<number>(Reflect.getMetadata(OPTIONAL_DEPS_METADATA, Service) ?? []);
  const args = constructorTokens(Service).map((token, index) => standIn(token, index, optionalIndexes.has(index)));
  return {
    sut: new Service(...args),
    fake: <D extends object>(type: Type<D>) => {
      const fake = fakes.get(type);
      if (!fake) throw new Error(`${Service.name} got no fake ${type.name}: it is not a parameter, or it was provided`);
      return fake as jest.Mocked<D>;
    },
  };
}

/** The injection token of each constructor parameter, as Nest resolves it: @Inject() over the declared type. */
function constructorTokens(Service: Type): InjectionToken[] {
  const types: InjectionToken[] = [...(Reflect.getMetadata(PARAMTYPES_METADATA, Service) ?? [])];
  if (types.length < Service.length) {
    throw new Error(`${Service.name} has no constructor metadata: is it decorated (@Injectable())?`);
  }
  const declared: { index: number; param: InjectionToken | { forwardRef: () => InjectionToken } }[] =
    Reflect.getMetadata(SELF_DECLARED_DEPS_METADATA, Service) ?? [];
  for (const { index, param } of declared) types[index] = typeof param === 'object' && 'forwardRef' in param ? param.forwardRef() : param;
  return types;
}

function dataPart(token: InjectionToken, dataSource: DataSource | undefined): unknown {
  if (!dataSource) return undefined;
  if (token === DataSource) return dataSource;
  if (token === TransactionRunner) return new TransactionRunner(dataSource);
  const entity = dataSource.entityMetadatas.find(
    (metadata) => typeof metadata.target === 'function' && getRepositoryToken(metadata.target) === token,
  );
  return entity ? dataSource.getRepository(entity.target) : undefined;
}

/** Every method of the class and its ancestors a jest.fn(); `instanceof` still holds. */
function fakeOf(type: Type): object {
  const fake = Object.create(type.prototype) as Record<string, unknown>;
  for (let proto: object | null = type.prototype; proto && proto !== Object.prototype; proto = Object.getPrototypeOf(proto)) {
    for (const key of Object.getOwnPropertyNames(proto)) {
      const { value } = Object.getOwnPropertyDescriptor(proto, key) ?? {};
      if (key !== 'constructor' && typeof value === 'function' && !Object.hasOwn(fake, key)) fake[key] = jest.fn();
    }
  }
  return fake;
}

// what TypeScript records for an interface, a primitive or a union: nothing to build a fake from
const NOT_A_SERVICE = new Set<unknown>([Object, String, Number, Boolean, Array, Function, Promise]);
const isClass = (token: InjectionToken): token is Type => typeof token === 'function' && !NOT_A_SERVICE.has(token);
const isRepositoryToken = (token: InjectionToken): boolean => typeof token === 'string' && token.endsWith('Repository');
const tokenName = (token: InjectionToken): string => (typeof token === 'function' ? token.name : String(token));
