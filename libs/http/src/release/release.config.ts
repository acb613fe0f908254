import { IsISO8601, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { defineConfig, parseEnv } from '@app/config';
import { parseClientVersion } from './client-version';

class ReleaseEnv {
  /** Stamped by the image build (Dockerfile ARG APP_VERSION), e.g. the git tag without its `v`. */
  @IsOptional()
  @IsString()
  @MaxLength(64)
  @Matches(/^[0-9A-Za-z.+_-]+$/, { message: 'APP_VERSION may hold letters, digits and . + _ - only' })
  APP_VERSION?: string;

  @IsOptional()
  @Matches(/^[0-9a-f]{7,40}$/, { message: 'GIT_COMMIT must be a git commit hash (7 to 40 lower-case hex digits)' })
  GIT_COMMIT?: string;

  @IsOptional()
  @IsISO8601({ strict: true }, { message: 'BUILD_TIME must be an ISO 8601 time, e.g. 2026-12-06T08:00:00Z' })
  BUILD_TIME?: string;

  @IsOptional()
  @Matches(/^\d{1,6}\.\d{1,6}\.\d{1,6}$/, { message: 'MIN_CLIENT_VERSION must be major.minor.patch, e.g. 2.3.0' })
  MIN_CLIENT_VERSION?: string;
}

/** What this build is, and the oldest mini-program build it still serves. */
export interface ReleaseConfig {
  version: string;
  commit: string;
  buildTime: string;
  /** Requests whose X-Client-Version is older get 426 (1080); null: every client is served. */
  minClientVersion: string | null;
}

export function loadReleaseConfig(env: NodeJS.ProcessEnv): ReleaseConfig {
  const parsed = parseEnv(ReleaseEnv, env);
  const minimum = parsed.MIN_CLIENT_VERSION ?? null;
  return {
    // a build outside the image (npm start on a laptop) says so instead of pretending to be a release
    version: parsed.APP_VERSION ?? '0.0.0-dev',
    commit: parsed.GIT_COMMIT ?? 'unknown',
    buildTime: parsed.BUILD_TIME ?? 'unknown',
    minClientVersion: minimum !== null && parseClientVersion(minimum) ? minimum : null,
  };
}

export const releaseConfig = defineConfig('release', loadReleaseConfig);
