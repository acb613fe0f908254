'use strict';
/**
 * Production entry of the API (copied to dist/api/main.js by scripts/bundle-api.mjs).
 *
 * Loads the single-file bundle of the API with the V8 code cache written at build time, so
 * a new pod skips resolving hundreds of ESM files and most of the parsing and compiling
 * (about 0.5 s of a 1.7 s boot on Node 20, which has no module compile cache; ADR 0011).
 * A cache from another Node/V8 build, or written under other V8 flags than this process has
 * (package.json config.apiNodeFlags), is rejected by V8: the bundle then compiles normally,
 * about 0.5 s slower, and a line on stderr says so. NODE_DEBUG=api-launcher also reports an
 * accepted cache (the e2e suite checks that the one it runs was accepted).
 *
 *   node <apiNodeFlags> dist/api/main.js                     start the API (what npm start runs)
 *   node <apiNodeFlags> dist/api/main.js --write-code-cache  load the bundle without starting, write the cache
 */
const fs = require('node:fs');
const path = require('node:path');
const vm = require('node:vm');
const Module = require('node:module');
const debug = require('node:util').debuglog('api-launcher');

const bundleFile = path.join(__dirname, 'server.bundle.js');
const cacheFile = `${bundleFile}.v8cache`;

function loadBundle() {
  const source = fs.readFileSync(bundleFile, 'utf8');
  let cachedData;
  try {
    cachedData = fs.readFileSync(cacheFile);
  } catch {
    cachedData = undefined; // no cache built: compile from source
  }
  const script = new vm.Script(Module.wrap(source), { filename: bundleFile, cachedData });
  const bundle = new Module(bundleFile, module);
  bundle.filename = bundleFile;
  bundle.paths = Module._nodeModulePaths(__dirname);
  bundle.loaded = true;
  if (cachedData && script.cachedDataRejected) {
    process.stderr.write('code cache rejected (another Node build or other V8 flags than at build time): compiling the bundle\n');
  } else {
    debug(cachedData ? 'code cache accepted' : 'no code cache: compiling the bundle');
  }
  const compiled = script.runInThisContext();
  compiled.call(bundle.exports, bundle.exports, Module.createRequire(bundleFile), bundle, bundleFile, __dirname);
  return { exports: bundle.exports, script };
}

const { exports: server, script } = loadBundle();
if (process.argv.includes('--write-code-cache')) {
  // after evaluation, so the cache holds every function that ran while the modules loaded
  fs.writeFileSync(cacheFile, script.createCachedData());
  process.stdout.write(`code cache written: ${path.relative(process.cwd(), cacheFile)}\n`);
} else {
  void server.startServer();
}
