import { type ConfigFactory, type ConfigFactoryKeyHost, registerAs } from '@nestjs/config';

/**
 * A config namespace as Nest's ConfigModule loads it (`registerAs`), which also carries its
 * loader, so one list of namespaces serves both the boot-time validation of the whole
 * environment and ConfigModule (apps/api/src/configurations.ts).
 */
export type ConfigNamespace<T extends object> = ConfigFactory<T> &
  ConfigFactoryKeyHost<T> & {
    /** Parses and validates this namespace from an environment; throws ConfigValidationError. */
    loadFrom(env: NodeJS.ProcessEnv): T;
  };

/** Any namespace, as the registry lists them (ConfigModule.forRoot's `load` takes plain factories). */
export type AnyConfigNamespace = ConfigFactory & { loadFrom(env: NodeJS.ProcessEnv): object };

/** `export const httpConfig = defineConfig('http', loadHttpConfig)`; read as `config.getOrThrow<HttpConfig>('http')`. */
export function defineConfig<T extends object>(namespace: string, load: (env: NodeJS.ProcessEnv) => T): ConfigNamespace<T> {
  return Object.assign(
    registerAs(namespace, () => load(process.env)),
    { loadFrom: load },
  ) as ConfigNamespace<T>;
}
