import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { promisify } from 'node:util';
import { API_NODE_FLAGS, BUILT_MAIN } from '../support/child-app';
import { useTestDatabase } from '../support/test-database';
import { dockerfileProblems, type DockerfileExpectations, healthcheckCommand } from './dockerfile-rules';

const run = promisify(execFile);
const DOCKERFILE = readFileSync(resolve('Dockerfile'), 'utf8');
const manifest = JSON.parse(readFileSync(resolve('package.json'), 'utf8')) as { scripts: Record<string, string>; config: { apiNodeFlags: string } };

const expected: DockerfileExpectations = {
  // exactly what spawnApp() runs, with the path relative to the image's WORKDIR
  startCommand: ['node', ...API_NODE_FLAGS, relative(process.cwd(), BUILT_MAIN)],
  mallocArenaMax: /MALLOC_ARENA_MAX=\$\{MALLOC_ARENA_MAX:-(\d+)\}/.exec(manifest.scripts['start:prod'])?.[1] ?? 'unset',
  probePaths: ['/health/live', '/health/ready'],
};

describe('Dockerfile, read with dockerfile-ast and linted with dockerfile-utils (no engine needed)', () => {
  it('npm run start:prod and the e2e suite run the same command the image runs', () => {
    // the start script spelled out: node $npm_package_config_apiNodeFlags dist/api/main.js
    const startProd = manifest.scripts['start:prod'].replace('$npm_package_config_apiNodeFlags', manifest.config.apiNodeFlags);
    expect(startProd).toContain(expected.startCommand.join(' '));
    expect(startProd).toContain('NODE_ENV=production');
  });

  it('keeps every rule: pinned base, multi-stage, non-root numeric USER, npm ci from the lockfile, no secrets, init as PID 1, stamps, CMD', () => {
    expect(dockerfileProblems(DOCKERFILE, expected)).toEqual([]);
  });

  it('fails each rule on a bad Dockerfile (the check can fail)', () => {
    const bad = [
      'FROM node:latest',
      'WORKDIR /app',
      'COPY . .',
      'RUN npm install',
      'ENV NODE_ENV=development JWT_SECRET=changeme',
      'ARG WECHAT_APP_SECRET',
      'USER root',
      'CMD npm start',
      '',
    ].join('\n');
    const problems = dockerfileProblems(bad, expected).join('\n');
    expect(problems).toMatch(/not multi-stage/);
    expect(problems).toMatch(/FROM node:latest: base image not pinned/);
    expect(problems).toMatch(/USER root: must be a numeric non-root uid/);
    expect(problems).toMatch(/RUN npm install: dependencies must come from the lockfile/);
    expect(problems).toMatch(/ENV JWT_SECRET: a secret/);
    expect(problems).toMatch(/ARG WECHAT_APP_SECRET: a secret/);
    expect(problems).toMatch(/NODE_ENV is not production/);
    expect(problems).toMatch(/CMD missing or in shell form/);
    expect(problems).toMatch(/no init as PID 1/);
    expect(problems).toMatch(/no HEALTHCHECK/);
    // npm ci with no lockfile in the stage (nor in the stage it is built from)
    const noLockfile = DOCKERFILE.replace('COPY package.json package-lock.json ./\n\n# --- deps', 'COPY package.json ./\n\n# --- deps');
    expect(dockerfileProblems(noLockfile, expected).join('\n')).toMatch(/RUN npm ci --omit=dev .*: npm ci before package-lock.json is copied/);
    // one rule alone: the real file with only its CMD changed fails on that rule only
    const otherCmd = DOCKERFILE.replace(/^CMD .*$/m, 'CMD ["node", "dist/api/main.js"]');
    expect(dockerfileProblems(otherCmd, expected)).toEqual([expect.stringMatching(/^CMD \["node","dist\/api\/main.js"\] is not the command the e2e suite runs/)]);
  });

  it('lets into the build context only what the stages copy, never .env or local state', () => {
    const ignore = readFileSync(resolve('.dockerignore'), 'utf8').split('\n').map((line) => line.trim());
    expect(ignore[ignore.findIndex((line) => line && !line.startsWith('#'))]).toBe('*');
    for (const kept of ['!package.json', '!package-lock.json', '!apps/', '!libs/', '!scripts/']) expect(ignore).toContain(kept);
    for (const excluded of ['**/.env', '**/node_modules', '**/dist']) expect(ignore).toContain(excluded);
  });
});

describe('the image HEALTHCHECK against the running built app', () => {
  const db = useTestDatabase();

  it('passes on a live app and fails where nothing listens', async () => {
    const running = await db.startApp({});
    const command = healthcheckCommand(DOCKERFILE);
    expect(command?.[0]).toBe('node');
    const [, ...args] = command!;
    const port = new URL(running.baseUrl).port;
    await expect(run(process.execPath, args, { env: { PATH: process.env.PATH, PORT: port } })).resolves.toBeDefined();
    await running.close();
    await expect(run(process.execPath, args, { env: { PATH: process.env.PATH, PORT: port } })).rejects.toMatchObject({ code: 1 });
  });
});
