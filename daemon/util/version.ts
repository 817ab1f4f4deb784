import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: string | undefined;

/** portier's version from its package.json (found by walking up from this file: works from src and dist). */
export function version(): string {
  if (cached) return cached;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'portier' && pkg.version) return (cached = pkg.version);
    } catch {
      /* keep walking */
    }
    dir = dirname(dir);
  }
  return (cached = '0.0.0');
}
