#!/usr/bin/env node
/**
 * Builds the panel's page (daemon/panel/web) into dist/web/{app.js, app.css} with esbuild: one ES
 * module bundle and one stylesheet, minified, for current Chromium and Firefox. The daemon serves
 * these itself (daemon/panel/assets.ts); nothing is loaded from a CDN.
 *
 *   node scripts/build-web.mjs [--outdir DIR] [--sourcemap]
 *
 * Exported buildWeb() is what the browser tests call before starting a daemon.
 */
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as esbuild from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));

export async function buildWeb({ outdir = `${root}dist/web`, sourcemap = false } = {}) {
  mkdirSync(outdir, { recursive: true });
  const common = {
    bundle: true,
    minify: true,
    sourcemap,
    target: ['chrome120', 'firefox115', 'safari16'],
    logLevel: 'warning',
    legalComments: 'none',
  };
  const [js, css] = await Promise.all([
    esbuild.build({ ...common, entryPoints: [`${root}daemon/panel/web/app.mts`], outfile: `${outdir}/app.js`, format: 'esm', metafile: true }),
    esbuild.build({ ...common, entryPoints: [`${root}daemon/panel/web/style.css`], outfile: `${outdir}/app.css`, metafile: true }),
  ]);
  const bytes = (m) => Object.values(m.outputs).reduce((n, o) => n + o.bytes, 0);
  return { outdir, jsBytes: bytes(js.metafile), cssBytes: bytes(css.metafile) };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { values } = parseArgs({ options: { outdir: { type: 'string' }, sourcemap: { type: 'boolean' } } });
  const r = await buildWeb({ outdir: values.outdir, sourcemap: values.sourcemap });
  process.stdout.write(`web assets: ${r.outdir} (app.js ${r.jsBytes} B, app.css ${r.cssBytes} B)\n`);
}
