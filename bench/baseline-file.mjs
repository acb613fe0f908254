// Bare Fastify streaming one file from disk: the ceiling GET /api/v1/files/:id is compared against.
// Same bytes (the very file the API's local storage holds), Content-Type, Content-Length and ETag,
// no auth, no database lookup, no envelope.
import fs from 'node:fs';
import Fastify from 'fastify';

const port = Number(process.env.PORT ?? 3000);
const host = process.env.HOST ?? '127.0.0.1';
const file = process.env.BENCH_FILE;
if (!file) throw new Error('BENCH_FILE must name the file to serve');
const { size } = fs.statSync(file);

const app = Fastify({ logger: false });
app.get('/health', async () => ({ ok: true }));
app.get('/file', (_request, reply) => {
  reply.header('content-type', 'image/png').header('content-length', String(size)).header('etag', '"bench"');
  return reply.send(fs.createReadStream(file));
});

await app.listen({ port, host, backlog: 4096 });

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.once(signal, () => {
    app.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
}
