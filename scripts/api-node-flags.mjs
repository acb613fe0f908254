// The node/V8 flags the API runs with, from package.json config.apiNodeFlags: what `npm start`
// passes, so the build's code cache and the bench use exactly the same ones (performance note 0015).
import fs from 'node:fs';
import path from 'node:path';

export function apiNodeFlags(root) {
  const manifest = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
  return (manifest.config?.apiNodeFlags ?? '').split(/\s+/).filter(Boolean);
}
