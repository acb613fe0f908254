// Bare Fastify (no Nest) reading a cached item straight from Redis: the ceiling the API's
// two-level cache is compared against. Per request: redis.get, JSON.parse, a fresh UUID,
// the x-request-id header and the JSON envelope, i.e. what a hand-written service with a
// Redis-only cache does. The item is the API's diagnostics item (same bytes, checked by
// the bench's verify step), seeded at startup under the key given in BENCH_ITEM_KEY.
import { randomUUID } from 'node:crypto';
import Fastify from 'fastify';
import { Redis } from 'ioredis';

const port = Number(process.env.PORT ?? 3000);
const host = process.env.HOST ?? '127.0.0.1';
const itemKey = process.env.BENCH_ITEM_KEY ?? 'bench:baseline:item:1';

const item = {
  id: 1,
  version: 1,
  sku: 'SKU-00000001',
  name: 'Diagnostics item 1',
  priceCents: 1999,
  stock: 42,
  tags: ['diagnostics', 'cache', 'bench'],
  description: 'A cached catalogue item of about one kilobyte, the typical size of a product card. '.repeat(10),
};

const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
await redis.set(itemKey, JSON.stringify(item), 'EX', 3600);

const app = Fastify({ logger: false });

app.get('/api/v1/diagnostics/cache/items/:id', async (request, reply) => {
  const json = await redis.get(itemKey);
  const requestId = randomUUID();
  reply.header('x-request-id', requestId);
  return { code: 0, message: 'ok', data: JSON.parse(json), requestId };
});

await app.listen({ port, host, backlog: 4096 });

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.once(signal, () => {
    Promise.all([app.close(), redis.del(itemKey).then(() => redis.quit())]).then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
}
