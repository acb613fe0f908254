// Bare Fastify (no Nest): the ceiling the API's ping route is compared against.
// Same per-request work as GET /api/v1/ping: a fresh UUID, the x-request-id header,
// and the JSON envelope serialized without a response schema.
import { randomUUID } from 'node:crypto';
import Fastify from 'fastify';

const port = Number(process.env.PORT ?? 3000);
const host = process.env.HOST ?? '127.0.0.1';

const app = Fastify({ logger: false });

app.get('/api/v1/ping', async (_request, reply) => {
  const requestId = randomUUID();
  reply.header('x-request-id', requestId);
  return { code: 0, message: 'ok', data: { pong: true }, requestId };
});

// The API listens with backlog 4096; matching it keeps the @1000 comparison about the
// framework, not about a shorter accept queue.
await app.listen({ port, host, backlog: 4096 });

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.once(signal, () => {
    app.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
}
