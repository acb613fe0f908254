import { createServer, type RequestListener } from 'node:http';
import { Logger } from '@nestjs/common';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { type AcceptHandles, addAcceptHandles } from './accept-handles';
import { installBodyMediaTypes } from './body-media-type';
import { answerClientError, sendFrameworkError, withHostRule } from './framework-errors';
import { HttpConfig } from './http.config';
import { installJsonBodyParser } from './json-body-parser';
import { installRefusedBodyDrain } from './refused-body';
import { REQUEST_ID_HEADER, requestIdFor } from './request-id';
import { batchSocketWrites } from './turn-batched-writes';

/**
 * The Fastify instance behind Nest, with the limits a public API needs. Fastify rather
 * than Express: about six times the throughput on this machine (docs/decisions/0001).
 */
export function createFastifyAdapter(config: HttpConfig): FastifyAdapter {
  const adapter = new FastifyAdapter({
    bodyLimit: config.bodyLimitBytes,
    // Node's request timers are options of the server itself: connectionsCheckingInterval is read
    // only when the server is created, so the server is ours (Fastify sets none of these then)
    serverFactory: (handler: RequestListener) => {
      const server = createServer(
        {
          requestTimeout: config.requestTimeoutMs,
          headersTimeout: config.headersTimeoutMs,
          connectionsCheckingInterval: config.connectionsCheckingIntervalMs,
          // checked by withHostRule, which answers in the envelope
          requireHostHeader: false,
        },
        withHostRule(handler),
      );
      server.keepAliveTimeout = config.keepAliveTimeoutMs;
      return server;
    },
    // on close, idle keep-alive sockets are dropped at once; busy ones finish their request
    forceCloseConnections: 'idle',
    // Fastify's own 503 is written straight to the socket, past every hook (no envelope, no
    // request id); Nest's, from the start of app.close() (app.factory.ts), goes through the envelope
    return503OnClosing: false,
    // what Node's HTTP parser and the router refuse, in the envelope too (framework-errors.ts)
    clientErrorHandler: answerClientError,
    frameworkErrors: sendFrameworkError,
    trustProxy: config.trustedProxies.length > 0 ? config.trustedProxies : false,
    genReqId: requestIdFor,
    // Nest logs through nestjs-pino; Fastify's own logger would log every request twice
    logger: false,
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 200 },
    // No Nest middleware anywhere (per-request work is Fastify hooks, decision 0005), so no
    // @fastify/middie: its onRequest hook ran on every request for nothing. A middleware
    // added later fails the boot loudly (fastify.use is missing) rather than costing silently.
    skipMiddie: true,
  });
  const instance = adapter.getInstance();
  instance.addHook('onRequest', (request, reply, done) => {
    void reply.header(REQUEST_ID_HEADER, request.id);
    // every answer, errors included: a browser never guesses a type other than the one we send
    void reply.header('x-content-type-options', 'nosniff');
    done();
  });
  installBodyMediaTypes(instance);
  installRefusedBodyDrain(instance);
  installJsonBodyParser(adapter, { maxDepth: config.jsonMaxDepth, maxKeys: config.jsonMaxKeys });
  if (config.writeBatching) batchSocketWrites(instance.server);
  let acceptHandles: AcceptHandles | undefined;
  instance.addHook('onListen', (done) => {
    acceptHandles = addAcceptHandles(instance.server, config.acceptHandles, {
      backlog: config.backlog,
      // the server works without them, only slower to take in a burst of new connections
      onError: (error) => new Logger('Http').warn({ err: error }, 'extra accept handles unavailable'),
    });
    done();
  });
  // before Fastify closes its own handle, so no new connection arrives while draining
  instance.addHook('preClose', async () => {
    await acceptHandles?.close();
  });
  return adapter;
}
