import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { Redis } from 'ioredis';
import { type EnvelopeBody, request, type RunningApp } from './app-harness';
import { type EnvOverrides, testServices } from './environment';

/** Polls until `check` returns something truthy (and returns it), or fails after `timeoutMs`. */
export async function until<T>(what: string, check: () => Promise<T | null | undefined | false>, timeoutMs = 15_000, everyMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolveWait) => setTimeout(resolveWait, everyMs));
  }
}

/**
 * Key prefixes of the shared Redis that one test file owns (queues, sessions, limiter counters),
 * deleted in an afterAll: finished jobs are kept a day for idempotent enqueue, which would
 * otherwise pile up on the machine's Redis.
 */
export function isolatedRedisEnv(name: string): EnvOverrides {
  const tag = `${name}-${randomBytes(4).toString('hex')}`;
  afterAll(async () => {
    const redis = new Redis(testServices.redisUrl);
    try {
      for (const pattern of [`e2e-${tag}:*`, `e2e:${tag}:*`]) {
        let cursor = '0';
        do {
          const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
          cursor = next;
          if (keys.length > 0) await redis.del(...keys);
        } while (cursor !== '0');
      }
    } finally {
      await redis.quit();
    }
  });
  return {
    JOBS_PREFIX: `e2e-${tag}`,
    AUTH_KEY_PREFIX: `e2e:${tag}:auth:`,
    RATE_LIMIT_KEY_PREFIX: `e2e:${tag}:rl:`,
    CACHE_KEY_PREFIX: `e2e:${tag}:cache:`,
    RATE_LIMIT_DEFAULT_LIMIT: '100000',
    RATE_LIMIT_LOGIN_PER_MINUTE: '1000',
  };
}

/** `npm run admin:create` against the app's database, then a sign-in: the admin's bearer token. */
export async function adminToken(app: RunningApp, env: EnvOverrides, username: string, role: 'admin' | 'operator' = 'admin'): Promise<string> {
  const password = `pw-${randomBytes(8).toString('hex')}`;
  const created = spawnSync(process.execPath, [resolve('dist/apps/api/src/cli/admin-create.js')], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env, ADMIN_USERNAME: username, ADMIN_PASSWORD: password, ADMIN_ROLE: role },
    encoding: 'utf8',
  });
  if (created.status !== 0) throw new Error(`admin:create failed: ${created.stderr}`);
  const login = await request<EnvelopeBody<{ accessToken: string }>>(`${app.baseUrl}/api/v1/auth/admin/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  if (login.status !== 200 || !login.body.data) throw new Error(`admin login failed: ${login.text}`);
  return login.body.data.accessToken;
}

/** JSON to the app's API; the envelope back. */
export function api<T = unknown>(app: RunningApp, method: string, path: string, body?: unknown, token?: string) {
  return request<EnvelopeBody<T>>(`${app.baseUrl}/api/v1${path}`, {
    method,
    headers: {
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

/** One sample of an unlabelled metric (or the sum of a labelled one's series matching `labels`). */
export async function metric(app: RunningApp, name: string, labels = ''): Promise<number> {
  const text = (await request<string>(`${app.baseUrl}/metrics`)).text;
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const match = /^(\w+)(\{[^}]*\})? ([\d.e+-]+)$/.exec(line);
    if (match && match[1] === name && (match[2] ?? '').includes(labels)) sum += Number(match[3]);
  }
  return sum;
}
