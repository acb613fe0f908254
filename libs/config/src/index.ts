export { appConfig, loadAppConfig, type AppConfig } from './app.config';
export { ConfigValidationError, parseEnv, ToBoolean, ToInteger, ToList, validateAll } from './env-parsing';
export { resolveProfile, shouldIgnoreEnvFile, type RuntimeProfile } from './profile';
