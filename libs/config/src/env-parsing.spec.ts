import { IsInt, IsOptional, Max, Min } from 'class-validator';
import { ConfigValidationError, parseEnv, ToBoolean, ToInteger, ToList, validateAll } from './env-parsing';
import { loadAppConfig } from './app.config';
import { resolveProfile } from './profile';

class SampleEnv {
  @IsOptional()
  @ToInteger()
  @IsInt()
  @Min(1)
  @Max(10)
  SAMPLE_COUNT?: number;

  @IsOptional()
  @ToBoolean()
  SAMPLE_FLAG?: boolean;

  @IsOptional()
  @ToList()
  SAMPLE_LIST?: string[];

  @IsOptional()
  @ToInteger()
  @IsInt()
  SAMPLE_SECRET_KEY?: number;
}

describe('parseEnv', () => {
  it('converts integers, booleans and lists', () => {
    const parsed = parseEnv(SampleEnv, { SAMPLE_COUNT: '7', SAMPLE_FLAG: 'off', SAMPLE_LIST: 'a, b,,c' });
    expect(parsed.SAMPLE_COUNT).toBe(7);
    expect(parsed.SAMPLE_FLAG).toBe(false);
    expect(parsed.SAMPLE_LIST).toEqual(['a', 'b', 'c']);
  });

  it('treats an empty assignment as unset', () => {
    expect(parseEnv(SampleEnv, { SAMPLE_COUNT: '' }).SAMPLE_COUNT).toBeUndefined();
  });

  it('names the variable and the value that is wrong', () => {
    expect(() => parseEnv(SampleEnv, { SAMPLE_COUNT: 'eleven' })).toThrow(/SAMPLE_COUNT must be an integer.*"eleven"/);
    expect(() => parseEnv(SampleEnv, { SAMPLE_COUNT: '11' })).toThrow(/SAMPLE_COUNT must not be greater than 10/);
  });

  it('never echoes the value of a secret-looking variable', () => {
    try {
      parseEnv(SampleEnv, { SAMPLE_SECRET_KEY: 'hunter2' });
      throw new Error('expected a validation error');
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigValidationError);
      expect((error as Error).message).toContain('SAMPLE_SECRET_KEY');
      expect((error as Error).message).not.toContain('hunter2');
    }
  });

  it('collects the problems of every loader into one error', () => {
    const failing = (problem: string) => () => {
      throw new ConfigValidationError([problem]);
    };
    expect(() => validateAll([failing('A is wrong'), () => 1, failing('B is wrong')])).toThrow(
      /A is wrong[\s\S]*B is wrong/,
    );
    expect(() => validateAll([() => 1])).not.toThrow();
  });
});

describe('resolveProfile', () => {
  it.each([
    [{}, 'embedded'],
    [{ NODE_ENV: 'development' }, 'embedded'],
    [{ NODE_ENV: 'production' }, 'production'],
    [{ DB_HOST: 'db' }, 'production'],
    [{ REDIS_URL: 'redis://r' }, 'production'],
    [{ DB_HOST: '  ' }, 'embedded'],
  ])('%j -> %s', (env, profile) => {
    expect(resolveProfile(env)).toBe(profile);
  });
});

describe('loadAppConfig', () => {
  it('defaults to port 3000, docs on and no test routes outside production', () => {
    const config = loadAppConfig({});
    expect(config).toMatchObject({ port: 3000, profile: 'embedded', productionSafeguards: false, docsEnabled: true, testRoutesEnabled: false });
  });

  it('turns docs off by default in production and refuses diagnostics routes there', () => {
    expect(loadAppConfig({ NODE_ENV: 'production' }).docsEnabled).toBe(false);
    expect(() => loadAppConfig({ NODE_ENV: 'production', ENABLE_TEST_ROUTES: 'true' })).toThrow(ConfigValidationError);
  });

  it('keys the production safeguards on the profile: DB_HOST or REDIS_URL with NODE_ENV=development is production', () => {
    for (const env of [{ DB_HOST: 'db' }, { REDIS_URL: 'redis://r:6379', NODE_ENV: 'development' }, { DB_HOST: 'db', NODE_ENV: 'production' }]) {
      expect(loadAppConfig(env)).toMatchObject({ profile: 'production', productionSafeguards: true, docsEnabled: false });
      expect(() => loadAppConfig({ ...env, ENABLE_TEST_ROUTES: 'true' })).toThrow(/ENABLE_TEST_ROUTES must not be true/);
      // docs only when asked for by name
      expect(loadAppConfig({ ...env, DOCS_ENABLED: 'true' }).docsEnabled).toBe(true);
    }
    // the e2e suite: the production profile with NODE_ENV=test keeps its diagnostics routes and docs
    expect(loadAppConfig({ DB_HOST: 'db', NODE_ENV: 'test', ENABLE_TEST_ROUTES: 'true' })).toMatchObject({
      productionSafeguards: false,
      testRoutesEnabled: true,
      docsEnabled: true,
    });
  });

  it('binds 127.0.0.1 in the embedded profile and every interface in production, unless HOST says otherwise', () => {
    expect(loadAppConfig({}).host).toBe('127.0.0.1');
    expect(loadAppConfig({ HOST: '0.0.0.0' }).host).toBe('0.0.0.0');
    expect(loadAppConfig({ DB_HOST: 'db' }).host).toBe('0.0.0.0');
    expect(loadAppConfig({ DB_HOST: 'db', HOST: '10.0.0.7' }).host).toBe('10.0.0.7');
  });

  it('bounds the shutdown: drain 10 s, then at most SHUTDOWN_FORCE_EXIT_MS (5 s) to close', () => {
    expect(loadAppConfig({})).toMatchObject({ shutdownDelayMs: 0, shutdownDrainMs: 10_000, shutdownForceExitMs: 5_000 });
    expect(loadAppConfig({ SHUTDOWN_FORCE_EXIT_MS: '2000' }).shutdownForceExitMs).toBe(2_000);
    expect(() => loadAppConfig({ SHUTDOWN_FORCE_EXIT_MS: '0' })).toThrow(/SHUTDOWN_FORCE_EXIT_MS/);
    expect(() => loadAppConfig({ SHUTDOWN_FORCE_EXIT_MS: 'never' })).toThrow(/SHUTDOWN_FORCE_EXIT_MS/);
  });
});

describe('APP_ROLE', () => {
  const production = { DB_HOST: 'db', REDIS_URL: 'redis://r:6379' };

  it('defaults to all, which runs HTTP, workers and the relay in one process', () => {
    expect(loadAppConfig({}).role).toBe('all');
    expect(loadAppConfig(production).role).toBe('all');
  });

  it('accepts api and worker in the production profile', () => {
    expect(loadAppConfig({ ...production, APP_ROLE: 'worker' }).role).toBe('worker');
    expect(loadAppConfig({ ...production, APP_ROLE: 'api' }).role).toBe('api');
  });

  it('names the variable and the choices for anything else', () => {
    expect(() => loadAppConfig({ ...production, APP_ROLE: 'workers' })).toThrow(/APP_ROLE must be one of all, api, worker/);
  });

  it('refuses a split role in the embedded profile, whose queue lives in one process', () => {
    expect(() => loadAppConfig({ APP_ROLE: 'api' })).toThrow(/APP_ROLE=api needs the production profile/);
  });
});
