import { DockerfileParser, type Instruction } from 'dockerfile-ast';
import { validate } from 'dockerfile-utils';

/** What the image must run: the command the e2e suite starts the API with (test/support/child-app.ts). */
export interface DockerfileExpectations {
  /** `node <config.apiNodeFlags> dist/api/main.js`, relative to WORKDIR. */
  startCommand: readonly string[];
  /** MALLOC_ARENA_MAX as `npm run start:prod` sets it. */
  mallocArenaMax: string;
  /** Routes the built app answers without a dependency (the HEALTHCHECK must call one). */
  probePaths: readonly string[];
}

interface Stage {
  name: string | null;
  from: string;
  instructions: Instruction[];
}

// full version pinned: 26.3.0-trixie-slim, not 26-slim, lts or latest; a digest is better still
const PINNED_TAG = /^\d+\.\d+\.\d+(-[a-z0-9.-]+)?$/;
const SECRET_NAME = /SECRET|PASSWORD|PASSWD|TOKEN|PRIVATE|CREDENTIAL|API_?KEY|ACCESS_?KEY|(^|_)KEY$/i;
const BUILD_STAMPS = ['APP_VERSION', 'GIT_COMMIT', 'BUILD_TIME'];

function stagesOf(instructions: Instruction[]): Stage[] {
  const stages: Stage[] = [];
  for (const instruction of instructions) {
    if (instruction.getKeyword() === 'FROM') {
      const args = instruction.getArguments().map((argument) => argument.getValue());
      const as = args.findIndex((value) => value.toUpperCase() === 'AS');
      stages.push({ name: as >= 0 ? args[as + 1] : null, from: args.find((value) => !value.startsWith('--')) ?? '', instructions: [] });
    } else {
      stages.at(-1)?.instructions.push(instruction);
    }
  }
  return stages;
}

/** The JSON array after a keyword (CMD, ENTRYPOINT, HEALTHCHECK … CMD), or null when written in shell form. */
function jsonForm(text: string): string[] | null {
  const start = text.indexOf('[');
  if (start < 0) return null;
  try {
    const parsed: unknown = JSON.parse(text.slice(start).replace(/\\\n/g, ' '));
    return Array.isArray(parsed) && parsed.every((item) => typeof item === 'string') ? parsed : null;
  } catch {
    return null;
  }
}

const argsText = (instruction: Instruction): string => instruction.getArgumentsContent() ?? '';

/**
 * Our rules for the Dockerfile, read with a real parser (dockerfile-ast) and linted by
 * dockerfile-utils: returns one sentence per broken rule, [] when all hold.
 */
export function dockerfileProblems(text: string, expected: DockerfileExpectations): string[] {
  const problems: string[] = [];
  for (const diagnostic of validate(text)) {
    problems.push(`lint (dockerfile-utils) line ${diagnostic.range.start.line + 1}: ${diagnostic.message}`);
  }
  const dockerfile = DockerfileParser.parse(text);
  const stages = stagesOf(dockerfile.getInstructions());
  if (stages.length < 2) problems.push('not multi-stage: build tools and dev dependencies would ship in the image');
  const stageNames = new Set<string>();
  const baseImages = new Set<string>();
  for (const stage of stages) {
    if (!stageNames.has(stage.from)) {
      baseImages.add(stage.from);
      const digest = stage.from.includes('@sha256:');
      const tag = stage.from.split('@')[0].split(':')[1];
      if (!digest && (tag === undefined || !PINNED_TAG.test(tag))) {
        problems.push(`FROM ${stage.from}: base image not pinned to a full version (x.y.z tag or @sha256 digest)`);
      }
    }
    if (stage.name) stageNames.add(stage.name);
  }
  if (baseImages.size > 1) problems.push(`stages on different base images (${[...baseImages].join(', ')}): the code cache needs one Node build`);

  const runtime = stages.at(-1);
  if (!runtime) return problems;
  const keyword = (name: string) => runtime.instructions.filter((instruction) => instruction.getKeyword() === name);

  const users = keyword('USER').map(argsText);
  const user = users.at(-1);
  const uid = user?.split(':')[0];
  if (!user) problems.push('runtime stage has no USER: the process would run as root');
  else if (!/^\d+$/.test(uid ?? '') || uid === '0') problems.push(`USER ${user}: must be a numeric non-root uid (Kubernetes runAsNonRoot can only verify a number)`);

  const lockfileIn = new Set<string>();
  for (const stage of stages) {
    // a stage built FROM an earlier one has what that one copied
    let lockfileCopied = lockfileIn.has(stage.from);
    for (const instruction of stage.instructions) {
      const content = argsText(instruction);
      if (instruction.getKeyword() === 'COPY' && /package-lock\.json/.test(content)) lockfileCopied = true;
      if (instruction.getKeyword() !== 'RUN') continue;
      if (/\b(npm\s+(install|i|add)|yarn(\s+install)?|pnpm\s+(install|i))\b(?!\s*-g\s+npm)/.test(content) && !/\bnpm\s+ci\b/.test(content)) {
        problems.push(`RUN ${content.slice(0, 60)}: dependencies must come from the lockfile (npm ci), never npm install`);
      }
      if (/\bnpm\s+ci\b/.test(content) && !lockfileCopied) problems.push(`RUN ${content.slice(0, 60)}: npm ci before package-lock.json is copied`);
    }
    if (lockfileCopied && stage.name) lockfileIn.add(stage.name);
  }

  for (const instruction of dockerfile.getInstructions()) {
    const name = instruction.getKeyword();
    if (name !== 'ENV' && name !== 'ARG') continue;
    const properties = name === 'ENV' ? dockerfile.getENVs().find((env) => env === instruction)?.getProperties() ?? [] : [];
    const names =
      name === 'ENV'
        ? properties.map((property) => property.getName())
        : [argsText(instruction).split('=')[0].trim()];
    for (const variable of names) {
      if (SECRET_NAME.test(variable)) {
        problems.push(`${name} ${variable}: a secret in ${name} is baked into the image history; it comes from a Kubernetes Secret at run time`);
      }
    }
  }

  const env = new Map<string, string>();
  for (const instruction of dockerfile.getENVs()) {
    if (!runtime.instructions.includes(instruction)) continue;
    for (const property of instruction.getProperties()) env.set(property.getName(), property.getValue() ?? '');
  }
  if (env.get('NODE_ENV') !== 'production') problems.push('runtime ENV NODE_ENV is not production');
  if (env.get('MALLOC_ARENA_MAX') !== expected.mallocArenaMax) {
    problems.push(`runtime ENV MALLOC_ARENA_MAX=${env.get('MALLOC_ARENA_MAX')}: npm run start:prod uses ${expected.mallocArenaMax}`);
  }
  const runtimeArgs = new Set(keyword('ARG').map((instruction) => argsText(instruction).split('=')[0].trim()));
  for (const stamp of BUILD_STAMPS) {
    if (!runtimeArgs.has(stamp) || env.get(stamp) !== `\${${stamp}}`) problems.push(`build arg ${stamp} is not stamped into the runtime ENV`);
  }

  const cmd = keyword('CMD').at(-1);
  const command = cmd ? jsonForm(argsText(cmd)) : null;
  if (!command) problems.push('runtime CMD missing or in shell form (a shell as PID 1 swallows SIGTERM)');
  else if (JSON.stringify(command) !== JSON.stringify(expected.startCommand)) {
    problems.push(`CMD ${JSON.stringify(command)} is not the command the e2e suite runs: ${JSON.stringify(expected.startCommand)}`);
  }
  const entrypoint = keyword('ENTRYPOINT').at(-1);
  const init = entrypoint ? jsonForm(argsText(entrypoint)) : null;
  if (!init || !/(^|\/)(tini|dumb-init)$/.test(init[0] ?? '')) problems.push('no init as PID 1 (ENTRYPOINT ["tini", "--"]): signals and zombie reaping');

  const healthcheck = keyword('HEALTHCHECK').at(-1);
  const probe = healthcheck ? argsText(healthcheck) : '';
  if (!healthcheck) problems.push('runtime stage has no HEALTHCHECK');
  else if (!expected.probePaths.some((path) => probe.includes(path))) problems.push(`HEALTHCHECK calls none of ${expected.probePaths.join(', ')}`);
  return problems;
}

/** The HEALTHCHECK's command in exec form, to run it against a live app. */
export function healthcheckCommand(text: string): string[] | null {
  const dockerfile = DockerfileParser.parse(text);
  const healthcheck = dockerfile.getInstructions().filter((instruction) => instruction.getKeyword() === 'HEALTHCHECK').at(-1);
  if (!healthcheck) return null;
  const content = argsText(healthcheck);
  return jsonForm(content.slice(content.indexOf('CMD')));
}
