// Bundles the compiled API (dist/apps/api/src/server.js, from `nest build api`) into one
// CommonJS file with esbuild, installs the launcher and writes the V8 code cache.
// Output: dist/api/main.js (entry), dist/api/server.bundle.js, dist/api/server.bundle.js.v8cache.
// Why: ADR 0011 (boot time on Node 20).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { apiNodeFlags } from './api-node-flags.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outDir = path.join(root, 'dist/api');

// Left to node_modules at run time: native addons, packages that load files relative to
// their own directory (pino starts worker threads from its files), and the optional
// integrations Nest probes for with a guarded require (absent here, must stay absent).
const external = [
  // @nestjs/typeorm loads `typeorm` with createRequire() at run time (typeorm-compat.js), which
  // no bundler can see: bundling typeorm too gave the process two copies (1.5 MB of bundled
  // source beside the 295 CommonJS files) and two sets of its classes. External, there is one.
  'typeorm',
  'typeorm/*',
  'better-sqlite3',
  '@node-rs/argon2',
  // libvips as a .node addon beside its JavaScript (stack notes: esbuild cannot bundle it)
  'sharp',
  'pino',
  'pino-pretty',
  'thread-stream',
  '@nestjs/microservices',
  '@nestjs/microservices/*',
  '@nestjs/websockets',
  '@nestjs/websockets/*',
  '@nestjs/platform-express',
  '@fastify/view',
  'class-transformer/storage',
  '@nestjs/mongoose',
  '@nestjs/sequelize',
  '@mikro-orm/core',
  '@nestjs/axios',
  '@grpc/grpc-js',
  '@grpc/proto-loader',
  // OpenTelemetry keeps one global registry per process (Symbol.for keys) shared by the API and the
  // SDK: bundled, esbuild mixed the API's ESM build with the SDK's CommonJS require of it and
  // registering the context manager failed ("Cannot add property context"). From node_modules,
  // one CommonJS copy; the SDK is loaded only when OTEL_EXPORTER_OTLP_ENDPOINT is set.
  '@opentelemetry/*',
];

fs.mkdirSync(outDir, { recursive: true });
const bundleFile = path.join(outDir, 'server.bundle.js');
const result = await build({
  entryPoints: [path.join(root, 'dist/apps/api/src/server.js')],
  outfile: bundleFile,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  // No keepNames: esbuild's __name() wrappers run each time a closure is created and cut the
  // API's throughput by half (measured: users/me 13.7k -> 5.9k req/s). Identifiers are not
  // minified, so class names survive except where two bundled modules declare the same one
  // (esbuild then suffixes the second, e.g. Logger2); nothing here depends on those names:
  // migrations and entities carry explicit names, errors set their own `name`.
  // Comments and whitespace out: a smaller source to parse at boot, and an ASCII-only file,
  // which V8 keeps as a one-byte string (a stray non-ASCII comment doubles it to UTF-16).
  // (minifySyntax stays off: it drops class-expression names, and Nest logs by class name. An ES
  // module's `export class X` still reads X.name === '_X' in a CommonJS bundle: log contexts only.)
  minifyWhitespace: true,
  legalComments: 'none',
  charset: 'ascii',
  external,
  // ESM packages (e.g. @nestjs/swagger's createRequire(import.meta.url)) inside a CJS bundle
  define: { 'import.meta.url': '__bundleImportMetaUrl' },
  banner: { js: "var __bundleImportMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
  logLevel: 'warning',
  metafile: true,
});
// The list of bundled sources, for the test that the production bundle holds no development
// tools (test/production-bundle.e2e-spec.ts). The build itself refuses the WeChat emulator (loaded
// at run time in the embedded profile) and the test helpers (eslint keeps @app/testing out of
// production code; this is the check that cannot be switched off).
const inputs = Object.keys(result.metafile.inputs);
const devOnly = inputs.filter((input) => input.includes('apps/wechat-emulator/') || input.includes('libs/testing/'));
if (devOnly.length > 0) {
  throw new Error(`the API bundle must not contain development tools (the WeChat emulator, libs/testing): ${devOnly.join(', ')}`);
}
fs.writeFileSync(path.join(outDir, 'server.bundle.inputs.json'), `${JSON.stringify(inputs, null, 1)}\n`);

// esbuild leaves non-ASCII inside regular-expression literals (validator's locale alphabets);
// \uXXXX means the same there and in strings, and keeps the file one-byte for V8.
const source = fs
  .readFileSync(bundleFile, 'utf8')
  .replace(/[\u0080-\uffff]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
fs.writeFileSync(bundleFile, source);
fs.rmSync(`${bundleFile}.v8cache`, { force: true });
fs.copyFileSync(path.join(root, 'scripts/api-launcher.cjs'), path.join(outDir, 'main.js'));

const sizeMb = (fs.statSync(bundleFile).size / 1024 / 1024).toFixed(1);
// V8 rejects a code cache written under other V8 flags: write it with the flags npm start uses
const cache = spawnSync(process.execPath, [...apiNodeFlags(root), path.join(outDir, 'main.js'), '--write-code-cache'], {
  cwd: root,
  encoding: 'utf8',
  // loading must not need configuration: nothing is validated or connected until startServer()
  env: { PATH: process.env.PATH, HOME: process.env.HOME },
});
if (cache.status !== 0) {
  process.stderr.write(cache.stdout + cache.stderr);
  throw new Error('writing the code cache failed: the bundle does not load');
}
process.stdout.write(`bundle-api: ${inputs.length} files -> dist/api/server.bundle.js (${sizeMb} MB), ${cache.stdout.trim()}\n`);
