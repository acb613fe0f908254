import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseDocument } from 'yaml';

export interface Step {
  name?: string;
  id?: string;
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
  env?: Record<string, unknown>;
  if?: string;
  [key: string]: unknown;
}
export interface Job {
  'runs-on'?: string;
  uses?: string;
  needs?: string | string[];
  with?: Record<string, unknown>;
  services?: Record<string, { image: string; ports?: string[]; env?: Record<string, string>; options?: string }>;
  steps?: Step[];
  [key: string]: unknown;
}
export interface Workflow {
  name?: string;
  on: Record<string, Record<string, unknown> | null>;
  jobs: Record<string, Job>;
  [key: string]: unknown;
}

/** Parses a workflow strictly (duplicate keys and syntax errors throw). */
export function parseWorkflow(text: string): Workflow {
  const document = parseDocument(text, { uniqueKeys: true });
  if (document.errors.length > 0) throw new Error(document.errors.map((error) => error.message).join('; '));
  return document.toJS() as Workflow;
}

const TOP_LEVEL = new Set(['name', 'run-name', 'on', 'permissions', 'env', 'defaults', 'concurrency', 'jobs']);
const EVENT_FILTERS: Record<string, Set<string>> = {
  push: new Set(['branches', 'branches-ignore', 'tags', 'tags-ignore', 'paths', 'paths-ignore']),
  pull_request: new Set(['branches', 'branches-ignore', 'paths', 'paths-ignore', 'types']),
  workflow_dispatch: new Set(['inputs']),
  workflow_call: new Set(['inputs', 'outputs', 'secrets']),
  schedule: new Set(),
};
const JOB_KEYS = new Set([
  'name', 'needs', 'runs-on', 'permissions', 'environment', 'concurrency', 'outputs', 'env', 'defaults', 'if', 'steps',
  'timeout-minutes', 'strategy', 'continue-on-error', 'container', 'services', 'uses', 'with', 'secrets',
]);
const STEP_KEYS = new Set(['id', 'if', 'name', 'uses', 'run', 'shell', 'with', 'env', 'continue-on-error', 'timeout-minutes', 'working-directory']);

/**
 * Our own structural lint of a GitHub Actions workflow (no actionlint build is installed here):
 * known keys at every level (catches `on.push.branch`), one of uses/run per step, actions pinned
 * to a major version or a commit, `needs` naming real jobs, local reusable workflows existing with
 * their required inputs given, expressions closed. One sentence per problem.
 */
export function workflowProblems(workflow: Workflow, root = process.cwd()): string[] {
  const problems: string[] = [];
  for (const key of Object.keys(workflow)) if (!TOP_LEVEL.has(key)) problems.push(`unknown top-level key ${key}`);
  if (!workflow.on || typeof workflow.on !== 'object') problems.push('no `on` triggers');
  for (const [event, filters] of Object.entries(workflow.on ?? {})) {
    const allowed = EVENT_FILTERS[event];
    if (!allowed) {
      problems.push(`on.${event}: not an event this repository uses`);
      continue;
    }
    if (event === 'schedule') continue;
    for (const key of Object.keys(filters ?? {})) if (!allowed.has(key)) problems.push(`on.${event}.${key}: unknown filter`);
  }
  const jobs = workflow.jobs ?? {};
  if (Object.keys(jobs).length === 0) problems.push('no jobs');
  for (const [name, job] of Object.entries(jobs)) {
    for (const key of Object.keys(job)) if (!JOB_KEYS.has(key)) problems.push(`jobs.${name}.${key}: unknown key`);
    for (const needed of [job.needs ?? []].flat()) if (!jobs[needed]) problems.push(`jobs.${name}.needs: no job ${needed}`);
    if (job.uses) {
      if (job.uses.startsWith('./')) {
        const called = resolve(root, job.uses);
        if (!existsSync(called)) problems.push(`jobs.${name}.uses: ${job.uses} does not exist`);
        else {
          const inputs = (parseWorkflow(readFileSync(called, 'utf8')).on.workflow_call?.inputs ?? {}) as Record<string, { required?: boolean }>;
          for (const [input, spec] of Object.entries(inputs)) {
            if (spec.required && !(input in (job.with ?? {}))) problems.push(`jobs.${name}: required input ${input} of ${job.uses} not given`);
          }
          for (const given of Object.keys(job.with ?? {})) if (!(given in inputs)) problems.push(`jobs.${name}.with.${given}: ${job.uses} has no such input`);
        }
      }
      continue;
    }
    if (!job['runs-on']) problems.push(`jobs.${name}: no runs-on`);
    if (!Array.isArray(job.steps) || job.steps.length === 0) problems.push(`jobs.${name}: no steps`);
    for (const [index, step] of (job.steps ?? []).entries()) {
      const where = `jobs.${name}.steps[${index}]${step.name ? ` (${step.name})` : ''}`;
      for (const key of Object.keys(step)) if (!STEP_KEYS.has(key)) problems.push(`${where}.${key}: unknown key`);
      if (Boolean(step.uses) === Boolean(step.run)) problems.push(`${where}: needs exactly one of uses and run`);
      if (step.uses && !step.uses.startsWith('./') && !/@(v\d+(\.\d+){0,2}|[0-9a-f]{40})$/.test(step.uses)) {
        problems.push(`${where}: ${step.uses} is not pinned to a version or commit`);
      }
    }
  }
  const text = JSON.stringify(workflow);
  const opened = text.split('${{').length - 1;
  const closed = (text.match(/\$\{\{[^}]*\}\}/g) ?? []).length;
  if (opened !== closed) problems.push('an expression ${{ … }} is not closed');
  return problems;
}
