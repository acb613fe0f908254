export { APP_ROLES, appConfig, loadAppConfig, type AppConfig, type AppRole } from './app.config';
export { ConfigValidationError, parseEnv, ToBoolean, ToInteger, ToList, validateAll } from './env-parsing';
export { loadDotEnvFile, productionSafeguardsApply, resolveProfile, type RuntimeProfile } from './profile';
export { type AnyConfigNamespace, type ConfigNamespace, defineConfig } from './define-config';
