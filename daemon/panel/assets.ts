/**
 * The web page's compiled assets (scripts/build-web.mjs writes them to dist/web). The daemon serves
 * them itself (no CDN: the device may have no internet). Read lazily on first use, then kept in memory
 * with an ETag each. From source (tsx) this file is daemon/panel/assets.ts and the assets are in
 * <repo>/dist/web; built, it is dist/daemon/panel/assets.js and they are in dist/web.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface WebAsset {
  name: string;
  body: Buffer;
  type: string;
  etag: string;
}

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
  '.map': 'application/json',
};

export function defaultWebDirs(): string[] {
  return [fileURLToPath(new URL('../../web/', import.meta.url)), fileURLToPath(new URL('../../dist/web/', import.meta.url))];
}

export class WebAssets {
  private files: Map<string, WebAsset> | null = null;
  private foundDir: string | null = null;

  constructor(private readonly dirs: string[] = defaultWebDirs()) {}

  private load(): Map<string, WebAsset> {
    if (this.files) return this.files;
    const files = new Map<string, WebAsset>();
    for (const dir of this.dirs) {
      let names: string[];
      try {
        names = readdirSync(dir);
      } catch {
        continue;
      }
      if (!names.includes('app.js')) continue;
      for (const name of names) {
        const ext = name.slice(name.lastIndexOf('.'));
        const type = TYPES[ext];
        const path = join(dir, name);
        if (!type || !/^[a-z0-9][a-z0-9.-]*$/.test(name) || !statSync(path).isFile()) continue;
        const body = readFileSync(path);
        const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 16)}"`;
        files.set(name, { name, body, type, etag });
      }
      this.foundDir = dir;
      break;
    }
    this.files = files;
    return files;
  }

  /** True once app.js was found (the page is built). */
  get available(): boolean {
    return this.load().has('app.js');
  }

  get dir(): string | null {
    this.load();
    return this.foundDir;
  }

  get(name: string): WebAsset | null {
    return this.load().get(name) ?? null;
  }

  /** a short content version for cache-busting URLs ("" when missing) */
  version(name: string): string {
    return this.get(name)?.etag.slice(1, 9) ?? '';
  }
}
