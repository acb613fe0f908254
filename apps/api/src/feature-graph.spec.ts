import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

/**
 * Features may depend on each other through their index.ts (the lint rule, ADR 0020), but never in
 * a circle: with user → auth → user, one module's exports are still undefined while the other's
 * decorators read them, which broke the production bundle once (a Nest provider became undefined)
 * while every test of the unbundled build passed. ESLint sees one file at a time, so the whole
 * graph is checked here. Specs are left out: a test may reach across without shipping the edge.
 */
const FEATURES_ROOT = resolve('apps/api/src');
const IMPORT = /(?:^|\n)\s*(?:import|export)\s(?:[^'"`;]*?\sfrom\s)?['"](\.{1,2}\/[^'"]+)['"]/g;

function sourceFiles(directory: string): string[] {
  return readdirSync(directory).flatMap((name) => {
    const path = join(directory, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return name.endsWith('.ts') && !name.endsWith('.spec.ts') ? [path] : [];
  });
}

const features = readdirSync(FEATURES_ROOT).filter((name) => statSync(join(FEATURES_ROOT, name)).isDirectory());

function featureOf(path: string): string | undefined {
  const first = relative(FEATURES_ROOT, path).split(sep)[0];
  return features.includes(first) ? first : undefined;
}

/** feature → the features its production code imports (type-only imports too: they become real ones easily) */
export function featureGraph(): Map<string, Set<string>> {
  const graph = new Map(features.map((feature) => [feature, new Set<string>()]));
  for (const feature of features) {
    for (const file of sourceFiles(join(FEATURES_ROOT, feature))) {
      for (const [, specifier] of readFileSync(file, 'utf8').matchAll(IMPORT)) {
        const target = featureOf(resolve(dirname(file), specifier));
        if (target && target !== feature) graph.get(feature)!.add(target);
      }
    }
  }
  return graph;
}

/** The first cycle found, as a path that starts and ends at the same feature, or null. */
export function findCycle(graph: Map<string, Set<string>>): string[] | null {
  const state = new Map<string, 'visiting' | 'done'>();
  const path: string[] = [];
  const visit = (node: string): string[] | null => {
    if (state.get(node) === 'done') return null;
    if (state.get(node) === 'visiting') return [...path.slice(path.indexOf(node)), node];
    state.set(node, 'visiting');
    path.push(node);
    for (const next of graph.get(node) ?? []) {
      const cycle = visit(next);
      if (cycle) return cycle;
    }
    path.pop();
    state.set(node, 'done');
    return null;
  };
  for (const node of graph.keys()) {
    const cycle = visit(node);
    if (cycle) return cycle;
  }
  return null;
}

describe('feature dependency graph', () => {
  it('reads real edges (admin depends on user)', () => {
    expect(featureGraph().get('admin')).toContain('user');
  });

  it('has no cycles between features', () => {
    expect(findCycle(featureGraph())).toBeNull();
  });

  it('finds a cycle when there is one', () => {
    const graph = new Map([
      ['order', new Set(['user'])],
      ['user', new Set(['auth'])],
      ['auth', new Set(['user'])],
    ]);
    expect(findCycle(graph)).toEqual(['user', 'auth', 'user']);
    expect(findCycle(new Map([['order', new Set(['user'])], ['user', new Set<string>()]]))).toBeNull();
  });
});
