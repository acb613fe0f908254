import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../app-error';
import { CommonError } from '../common.errors';
import type { ContractRule, RequestHeaderDoc, ResponseHeaderDoc } from '../openapi/route-contract';
import { isOlderThan, parseClientVersion } from './client-version';
import type { ReleaseConfig } from './release.config';

export const CLIENT_VERSION_HEADER = 'x-client-version';
export const APP_VERSION_HEADER = 'x-app-version';

export interface ClientVersionGateOptions {
  /** Paths the gate guards (the API's prefix, `/api/v1/`); probes, metrics and docs never are. */
  guardedPrefix: string;
  /** Paths inside it a client too old must still reach (GET /api/v1/version). */
  exemptPaths: readonly string[];
}

/** `1.4.2+3f9c2ab`: the version, with the commit as semver build metadata. */
export function appVersionHeaderValue(release: Pick<ReleaseConfig, 'version' | 'commit'>): string {
  return release.commit === 'unknown' ? release.version : `${release.version}+${release.commit.slice(0, 12)}`;
}

/**
 * Every response carries X-App-Version; with MIN_CLIENT_VERSION set, a request whose
 * X-Client-Version is older (or not a version) is answered 426 (1080) with the minimum in
 * `data`, before anything else runs, so an old mini-program build shows "please update"
 * instead of failing on a changed contract. A request without the header is served: browsers,
 * admin tools and builds from before the gate do not send it.
 */
export function installClientVersionGate(fastify: FastifyInstance, release: ReleaseConfig, options: ClientVersionGateOptions): void {
  const headerValue = appVersionHeaderValue(release);
  const minimum = release.minClientVersion === null ? null : parseClientVersion(release.minClientVersion);
  const exempt = new Set(options.exemptPaths);

  fastify.addHook('onRequest', (request: FastifyRequest, reply: FastifyReply, done: (error?: Error) => void) => {
    void reply.header(APP_VERSION_HEADER, headerValue);
    if (minimum === null) return done();
    const sent = request.headers[CLIENT_VERSION_HEADER];
    if (sent === undefined || !request.url.startsWith(options.guardedPrefix)) return done();
    const path = request.url.split('?', 1)[0];
    if (exempt.has(path)) return done();
    const version = typeof sent === 'string' ? parseClientVersion(sent) : null;
    if (version !== null && !isOlderThan(version, minimum)) return done();
    done(
      new AppError(CommonError.ClientUpdateRequired, {
        message: `This version of the app is no longer supported: update to ${release.minClientVersion} or later`,
        data: { minimumVersion: release.minClientVersion, clientVersion: typeof sent === 'string' ? sent.slice(0, 32) : null },
      }),
    );
  });
}

const CLIENT_VERSION_REQUEST_HEADER: RequestHeaderDoc = {
  name: 'X-Client-Version',
  description:
    'The mini-program build\'s version (major.minor.patch). Older than the server\'s minimum, or not a version: 426 (1080) ' +
    'with data.minimumVersion; the app should ask the user to update. Without it the request is served.',
  required: false,
  schema: { type: 'string', pattern: '^v?\\d+\\.\\d+\\.\\d+$' },
};

const APP_VERSION_RESPONSE_HEADER: ResponseHeaderDoc = {
  name: 'X-App-Version',
  description: 'The server build answering: version+commit (GET /api/v1/version has the build time too)',
  schema: { type: 'string' },
  on: 'every',
};

/** Documents the header on every route, and 426 (1080) where the gate can answer it. */
export function clientVersionContract(release: Pick<ReleaseConfig, 'minClientVersion'>, options: ClientVersionGateOptions): ContractRule {
  return (route) => {
    const guarded = route.path.startsWith(options.guardedPrefix) && !options.exemptPaths.includes(route.path);
    if (!guarded || release.minClientVersion === null) return { responseHeaders: [APP_VERSION_RESPONSE_HEADER] };
    return {
      errors: [CommonError.ClientUpdateRequired],
      requestHeaders: [CLIENT_VERSION_REQUEST_HEADER],
      responseHeaders: [APP_VERSION_RESPONSE_HEADER],
    };
  };
}
