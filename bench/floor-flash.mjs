// The flash-sale wave's floor on this machine: Node's own HTTP server answering every order at
// once with the API's 409 envelope, no framework, no database, no work. What 2,000 fresh
// connections arriving together cost here before any application code runs (performance note 0033).
import http from 'node:http';

const port = Number(process.env.PORT ?? 3000);
const host = process.env.HOST ?? '127.0.0.1';
const refusal = JSON.stringify({ code: 4001, message: 'Not enough stock', data: null });

http
  .createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      if (request.url === '/ping') response.writeHead(200, { 'content-type': 'application/json' }).end('{"pong":true}');
      else response.writeHead(409, { 'content-type': 'application/json' }).end(refusal);
    });
  })
  .listen({ port, host, backlog: 4096 });
