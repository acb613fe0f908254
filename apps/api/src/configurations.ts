import { cacheConfig } from '@app/cache';
import { type AnyConfigNamespace, appConfig } from '@app/config';
import { databaseConfig } from '@app/database';
import { eventsConfig } from '@app/events';
import { httpConfig, releaseConfig } from '@app/http';
import { jobsConfig } from '@app/jobs';
import { observabilityConfig, tracingConfig } from '@app/observability';
import { redisConfig } from '@app/redis';
import { circuitBreakerConfig, rateLimitConfig } from '@app/resilience';
import { storageConfig } from '@app/storage';
import { wechatConfig, wechatPayConfig } from '@app/wechat';
import { authConfig } from './auth';
import { orderConfig } from './order';
import { uploadConfig } from './upload';

/**
 * Every config namespace of the API, in one list: createApp() validates all of them against the
 * environment before anything connects (all problems reported together), and ConfigModule loads
 * the same list. A new lib or feature with variables adds its namespace here, nowhere else.
 */
export const configurations: readonly AnyConfigNamespace[] = [
  appConfig,
  httpConfig,
  databaseConfig,
  redisConfig,
  cacheConfig,
  observabilityConfig,
  rateLimitConfig,
  circuitBreakerConfig,
  authConfig,
  wechatConfig,
  wechatPayConfig,
  jobsConfig,
  eventsConfig,
  releaseConfig,
  tracingConfig,
  orderConfig,
  storageConfig,
  uploadConfig,
];
