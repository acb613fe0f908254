import { ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import net from 'node:net';
import { resolve } from 'node:path';
import { EnvOverrides } from './environment';

/** What `npm start` runs: the bundled API with its code cache (scripts/bundle-api.mjs). */
export const BUILT_MAIN = resolve('dist/api/main.js');
/** The node/V8 flags `npm start` runs the API with (package.json config.apiNodeFlags), so tests run it the same way. */
export const API_NODE_FLAGS: string[] = (
  (JSON.parse(readFileSync(resolve('package.json'), 'utf8')) as { config?: { apiNodeFlags?: string } }).config?.apiNodeFlags ?? ''
)
  .split(/\s+/)
  .filter(Boolean);
export const BUILT_MIGRATE_CLI = resolve('dist/apps/api/src/cli/migrate.js');

// Every service process a test file starts; test/setup/stop-children.ts kills the ones a
// failed hook left behind, so a test failure never leaves Jest waiting on a live child.
const liveChildren = new Set<ChildProcess>();

function track(child: ChildProcess): void {
  liveChildren.add(child);
  child.once('exit', () => liveChildren.delete(child));
}

export async function stopLeftoverChildren(): Promise<number> {
  const leftovers = [...liveChildren];
  await Promise.all(
    leftovers.map(
      (child) =>
        new Promise<void>((resolveExit) => {
          child.once('exit', () => resolveExit());
          child.kill('SIGKILL');
        }),
    ),
  );
  return leftovers.length;
}

export interface ChildApp {
  process: ChildProcess;
  baseUrl: string;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function childEnvironment(env: EnvOverrides): NodeJS.ProcessEnv {
  // Only PATH and HOME from the runner: the child sees the environment a fresh shell would.
  // MALLOC_ARENA_MAX as `npm start` sets it (performance note 0014)
  const base: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, MALLOC_ARENA_MAX: '2' };
  for (const [key, value] of Object.entries(env)) if (value !== undefined) base[key] = value;
  return base;
}

export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolveListen) => server.listen(0, '127.0.0.1', () => resolveListen()));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolveClose) => server.close(() => resolveClose()));
  return port;
}

/** Runs the built service as a real process (what `npm start` runs) and waits until it answers. */
export async function spawnApp(env: EnvOverrides, timeoutMs = 20_000): Promise<ChildApp> {
  if (!existsSync(BUILT_MAIN)) throw new Error(`${BUILT_MAIN} is missing: run "npm run build" (npm test does it first)`);
  // a caller that must know the address before the start (a callback URL in its env) picks the port
  const port = env.PORT ? Number(env.PORT) : await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const child = spawn(process.execPath, [...API_NODE_FLAGS, BUILT_MAIN], {
    env: childEnvironment({ HOST: '127.0.0.1', ...env, PORT: String(port) }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  track(child);
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolveExit) =>
    child.once('exit', (code, signal) => resolveExit({ code, signal })),
  );

  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && child.exitCode === null) {
    try {
      const response = await fetch(`${baseUrl}/health/live`);
      if (response.ok) return { process: child, baseUrl, output: () => output, exited };
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  child.kill('SIGKILL');
  throw new Error(`service did not start:\n${output}`);
}

/** Runs the built service expecting it to refuse to start; returns its exit code and output. */
export async function runUntilExit(
  env: EnvOverrides,
  { timeoutMs = 20_000, nodeFlags = API_NODE_FLAGS }: { timeoutMs?: number; nodeFlags?: string[] } = {},
): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, [...nodeFlags, BUILT_MAIN], {
    env: childEnvironment({ PORT: '0', HOST: '127.0.0.1', ...env }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  track(child);
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const code = await new Promise<number | null>((resolveExit) => child.once('exit', (c) => resolveExit(c)));
  clearTimeout(timer);
  return { code, output };
}
