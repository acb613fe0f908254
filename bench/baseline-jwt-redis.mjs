// Bare Fastify (no Nest) doing what GET /api/v1/users/me must do at minimum: verify an HS256
// access token with fast-jwt and one Redis round trip (the session check), then answer the
// user's profile in the envelope. The bench signs the token and seeds the session key.
import { randomUUID } from 'node:crypto';
import Fastify from 'fastify';
import { createVerifier } from 'fast-jwt';
import { Redis } from 'ioredis';

const port = Number(process.env.PORT ?? 3000);
const host = process.env.HOST ?? '127.0.0.1';
const sessionPrefix = process.env.BENCH_SESSION_PREFIX ?? 'bench:sess:';
const verify = createVerifier({ key: Buffer.from(process.env.BENCH_JWT_SECRET ?? '', 'utf8'), algorithms: ['HS256'] });
const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');

const profile = { id: 1, nickname: 'bench user', avatarUrl: '', phone: null, createdAt: new Date(0).toISOString() };

const app = Fastify({ logger: false });
app.get('/api/v1/users/me', async (request, reply) => {
  const requestId = randomUUID();
  reply.header('x-request-id', requestId);
  let claims;
  try {
    claims = verify((request.headers.authorization ?? '').slice(7));
  } catch {
    reply.code(401);
    return { code: 2002, message: 'Invalid access token', data: null, requestId };
  }
  if ((await redis.exists(`${sessionPrefix}${claims.sid}`)) !== 1) {
    reply.code(401);
    return { code: 2004, message: 'Session ended', data: null, requestId };
  }
  return { code: 0, message: 'ok', data: { ...profile, id: Number(claims.sub) }, requestId };
});

await app.listen({ port, host, backlog: 4096 });

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.once(signal, () => {
    Promise.all([app.close(), redis.quit()]).then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
}
