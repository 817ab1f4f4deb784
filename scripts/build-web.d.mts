/** Types for scripts/build-web.mjs (imported by the browser tests). */
export function buildWeb(opts?: { outdir?: string; sourcemap?: boolean }): Promise<{ outdir: string; jsBytes: number; cssBytes: number }>;
