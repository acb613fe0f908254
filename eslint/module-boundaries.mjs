// The project's layering, as one lint rule (docs/architecture.md, "Layers and rules"):
//   - libs never import apps (a lib is shared by every feature; apps hand it what it needs);
//   - the API never imports the WeChat emulator (a development tool; apps/api/src/embedded-wechat.ts
//     loads it at run time in the embedded profile only);
//   - a feature folder of the API imports another feature only through its public face, the
//     folder's index.ts, never a deep path (its repository, entity or internals).
// Hand-written (ADR 0020): eslint-plugin-boundaries 7 was tried first and could not classify the
// API's root files (app.module.ts, app.factory.ts) beside its feature folders without deprecated
// options; this rule is small, resolves the same relative paths TypeScript does, and has a spec.
import fs from 'node:fs';
import path from 'node:path';

const isDirectory = (file) => fs.statSync(file, { throwIfNoEntry: false })?.isDirectory() === true;
const toPosix = (file) => file.split(path.sep).join('/');
const stripExtension = (file) => file.replace(/\.(?:[cm]?[jt]s|json)$/, '');

/** @type {import('eslint').Rule.RuleModule} */
export const moduleBoundaries = {
  meta: {
    type: 'problem',
    docs: { description: 'Keep libs, apps, the WeChat emulator and feature folders within their boundaries' },
    schema: [
      {
        type: 'object',
        properties: {
          root: { type: 'string' },
          forbidden: {
            type: 'array',
            items: {
              type: 'object',
              properties: { from: { type: 'string' }, to: { type: 'string' }, because: { type: 'string' } },
              required: ['from', 'to', 'because'],
              additionalProperties: false,
            },
          },
          features: { type: 'string' },
        },
        additionalProperties: false,
      },
    ],
    messages: {
      forbidden: "'{{source}}' reaches into {{to}}: {{because}}",
      deepFeatureImport:
        "'{{source}}' reaches inside the {{feature}} feature: import what it exports from '{{entry}}' (its index.ts) instead",
    },
  },
  create(context) {
    const { root = context.cwd, forbidden = [], features } = context.options[0] ?? {};
    const file = toPosix(path.relative(root, context.filename));
    // the feature folder a project path (a file, or a folder imported through its index) is in
    const featureOf = (projectPath) => {
      if (!features || !projectPath.startsWith(`${features}/`)) return null;
      const segments = projectPath.slice(features.length + 1).split('/');
      if (segments.length > 1) return segments[0];
      // a file beside the feature folders (app.module.ts, server.ts) is the composition root
      return isDirectory(path.join(root, projectPath)) ? segments[0] : null;
    };
    const ownFeature = featureOf(file);

    const check = (node, source) => {
      if (typeof source !== 'string' || !source.startsWith('.')) return;
      const target = stripExtension(toPosix(path.relative(root, path.resolve(path.dirname(context.filename), source))));
      for (const rule of forbidden) {
        if (file.startsWith(`${rule.from}/`) && (target === rule.to || target.startsWith(`${rule.to}/`))) {
          context.report({ node, messageId: 'forbidden', data: { source, to: rule.to, because: rule.because } });
          return;
        }
      }
      // product code only: the e2e suite (test/) may inspect entities, and a unit spec is white-box
      // (it also cannot load a feature's index under Jest, which pulls in Nest modules: ADR 0003)
      if (!features || !file.startsWith(`${features}/`) || file.endsWith('.spec.ts')) return;
      const feature = featureOf(target);
      if (!feature || feature === ownFeature) return;
      const entry = `${features}/${feature}`;
      if (target === entry || target === `${entry}/index`) return;
      const entryFromHere = toPosix(path.relative(path.dirname(file), entry));
      context.report({
        node,
        messageId: 'deepFeatureImport',
        data: { source, feature, entry: entryFromHere.startsWith('.') ? entryFromHere : `./${entryFromHere}` },
      });
    };

    const literal = (node) => (node && node.type === 'Literal' ? node.value : undefined);
    return {
      ImportDeclaration: (node) => check(node, literal(node.source)),
      ExportNamedDeclaration: (node) => check(node, literal(node.source)),
      ExportAllDeclaration: (node) => check(node, literal(node.source)),
      ImportExpression: (node) => check(node, literal(node.source)),
      CallExpression: (node) => {
        if (node.callee.type === 'Identifier' && node.callee.name === 'require') check(node, literal(node.arguments[0]));
      },
    };
  },
};

export default { rules: { 'module-boundaries': moduleBoundaries } };
