// Microbenchmark of the JSON body parser (libs/http/src/json-body-parser.ts) against Fastify's
// default parser on the same bodies: the cost issue 14's structure and UTF-8 checks add to a
// request that has a body. Run after `npm run build`: node bench/json-body-parser.mjs
// Each figure is the best of 9 rounds, the parsers interleaved in each round (this machine's speed
// drifts within seconds): time per body.
import { isUtf8 } from 'node:buffer';
import { createRequire } from 'node:module';
import Fastify from 'fastify';

const require = createRequire(import.meta.url);
const { createJsonBodyParser, jsonStructureProblem } = require('../dist/libs/http/src/json-body-parser.js');

const fastify = Fastify();
const fastifyDefault = fastify.getDefaultJsonParser('error', 'error');
const ours = createJsonBodyParser(fastify, { maxDepth: 32, maxKeys: 1000 });

const typical = {
  nickname: '小程序用户😀',
  avatarUrl: 'https://thirdwx.qlogo.cn/mmopen/vi_32/abcdefghijklmnopqrstuvwxyz0123456789/132',
  address: { province: '广东省', city: '深圳市', district: '南山区', detail: '科技园南区 深南大道 10000 号 腾讯大厦 "A" 座', phone: '13800138000' },
  items: Array.from({ length: 6 }, (_, i) => ({ sku: `SKU-${i}0000${i}`, quantity: i + 1, remark: `请尽快发货 \\ note ${i}` })),
  couponCodes: ['NEWUSER2024', 'FREESHIP'],
  note: 'x'.repeat(120),
};
const bodies = {
  'typical 1 KB': Buffer.from(JSON.stringify(typical)),
  'login {"code"}': Buffer.from(JSON.stringify({ code: '0a3Bc4DeF5gH6iJ7kL8mN9oP0qR1sT2u' })),
  '9 KB (ten typical)': Buffer.from(JSON.stringify(Array.from({ length: 10 }, () => typical))),
  '64 KB base64 (encryptedData)': Buffer.from(JSON.stringify({ encryptedData: Buffer.alloc(48_000, 7).toString('base64'), iv: 'r7BXXKkLb8qrSNn05n0qiA==' })),
  '1 MB string': Buffer.from(JSON.stringify({ s: 'a'.repeat(1_000_000) })),
};
const hostile = {
  '1 MB nested': Buffer.from('['.repeat(500_000) + ']'.repeat(500_000)),
  '10,000 keys': Buffer.from(JSON.stringify(Object.fromEntries(Array.from({ length: 10_000 }, (_, i) => [`k${i}`, 1])))),
};

let sink = 0;
const done = (error, value) => {
  sink += error ? 1 : value === undefined ? 0 : 2;
};
const withDefault = (body) => () => fastifyDefault(null, body.toString('utf8'), done);
const withOurs = (body) => () => ours(null, body, done);
const scanOnly = (body) => () => (sink += jsonStructureProblem(body, { maxDepth: 32, maxKeys: 1000 }) === null ? 1 : 0);
const utf8Only = (body) => () => (sink += isUtf8(body) ? 1 : 0);

/** ns per call of each function, best of 9 rounds, the functions interleaved within each round. */
function compare(functions, bytes) {
  const iterations = Math.max(10, Math.min(100_000, Math.floor(5e7 / (bytes * 5 + 1000))));
  const best = functions.map(() => Infinity);
  for (const run of functions) for (let i = 0; i < iterations / 5; i += 1) run();
  for (let round = 0; round < 9; round += 1) {
    functions.forEach((run, index) => {
      const started = process.hrtime.bigint();
      for (let i = 0; i < iterations; i += 1) run();
      best[index] = Math.min(best[index], Number(process.hrtime.bigint() - started) / iterations);
    });
  }
  return best;
}
const format = (ns) => (ns >= 1e6 ? `${(ns / 1e6).toFixed(2)} ms` : ns >= 1e3 ? `${(ns / 1e3).toFixed(2)} µs` : `${ns.toFixed(0)} ns`);

console.log('| body | bytes | Fastify default parser | ours | of which: structure scan | UTF-8 check |');
console.log('| --- | ---: | ---: | ---: | ---: | ---: |');
for (const [name, body] of Object.entries(bodies)) {
  const [before, after, scan, utf8] = compare([withDefault(body), withOurs(body), scanOnly(body), utf8Only(body)], body.length);
  console.log(`| ${name} | ${body.length} | ${format(before)} | ${format(after)} | ${format(scan)} | ${format(utf8)} |`);
}
for (const [name, body] of Object.entries(hostile)) {
  const [before, after] = compare([withDefault(body), withOurs(body)], body.length);
  console.log(`| ${name} | ${body.length} | ${format(before)} (parses it) | ${format(after)} (refused) | | |`);
}
if (sink === 0) console.log('');
