// Test helpers shared by unit and e2e specs. Never imported by production code (eslint.config.mjs
// refuses it, scripts/bundle-api.mjs fails the build if the bundle holds any of it).
export { appErrorCodeOf } from './app-error-code';
export { FakeRedisCircuit } from './fake-redis-circuit';
export { TcpProxy } from './tcp-proxy';
export { useTestDataSource, type TestDataSource } from './test-data-source';
export { newTestService, type TestService, type TestServiceOptions } from './test-service';
export { routeFactsOf } from './route-facts';
