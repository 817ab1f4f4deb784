/**
 * What Node itself costs on this machine, before any portier code: the floors under the idle-RSS
 * and CPU-per-call figures of startup.ts and call-cpu.ts.
 *
 *   npx tsx scripts/bench/floors.ts [--seconds 20]
 *
 * RSS (VmRSS 2 s after start, with the daemon's --max-semi-space-size=1), each in a fresh process:
 *   - an empty node process;
 *   - a "hello world" on the stack the issues prescribe for the HTTP edge and the log: hono +
 *     @hono/node-server answering /api/health, pino, one UDP socket;
 *   - the same plus the rest of the prescribed runtime libraries (zod, ws, smol-toml, sdp-transform,
 *     alawmulaw) loaded.
 * CPU: two bare node processes exchanging 172-byte UDP packets on loopback at 50 packets/s each way
 * on a drift-free 20 ms timer (an RTP endpoint with no codec, no jitter buffer, no stats), CPU of
 * one of them in % of one core from /proc/PID/stat.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { cpuSeconds } from '../../test/support/proc-cpu.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const i = process.argv.indexOf('--seconds');
const seconds = i >= 0 ? Number(process.argv[i + 1]) : 20;

const RSS_PRELUDE = `const { readFileSync } = await import('node:fs');
const report = (name) => setTimeout(() => {
  const st = readFileSync('/proc/self/status', 'utf8');
  const kb = (k) => Number(new RegExp(k + ':\\\\s+(\\\\d+)').exec(st)[1]);
  console.log(JSON.stringify({ name, rssMb: +(kb('VmRSS') / 1024).toFixed(1), anonMb: +(kb('RssAnon') / 1024).toFixed(1), fileMb: +(kb('RssFile') / 1024).toFixed(1) }));
  process.exit(0);
}, 2000);
`;
const HELLO = `const { Hono } = await import('hono');
const { serve } = await import('@hono/node-server');
const { pino } = await import('pino');
const { createSocket } = await import('node:dgram');
const app = new Hono();
app.get('/api/health', (c) => c.json({ ok: true }));
serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
createSocket('udp4').bind(0, '127.0.0.1');
pino().info('up');
`;
const REST = `for (const m of ['zod', 'ws', 'smol-toml', 'sdp-transform', 'alawmulaw']) await import(m);\n`;

function runNode(args: string[], stdin?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: root, stdio: [stdin ? 'pipe' : 'ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('exit', () => resolve(out));
    if (stdin) child.stdin!.end(stdin);
  });
}

async function rss(name: string, body: string): Promise<void> {
  // --input-type=module reads the program from stdin, resolving packages from this repository
  const out = await runNode(['--max-semi-space-size=1', '--input-type=module', '-'], RSS_PRELUDE + body + `report(${JSON.stringify(name)});\n`);
  process.stdout.write(out.split('\n').filter((l) => l.startsWith('{"name"')).join('\n') + '\n');
}

const ENDPOINT = `const dgram = require('node:dgram');
const [me, peer, seconds] = process.argv.slice(1).map(Number);
const s = dgram.createSocket('udp4');
const buf = Buffer.alloc(172);
let received = 0;
s.on('message', () => received++);
s.bind(me, '127.0.0.1', () => {
  const t0 = performance.now();
  let k = 0;
  const tick = () => { k++; s.send(buf, peer, '127.0.0.1'); setTimeout(tick, Math.max(0, t0 + (k + 1) * 20 - performance.now())); };
  setTimeout(tick, 20);
});
setTimeout(() => { process.stdout.write(JSON.stringify({ received }) + '\\n'); process.exit(0); }, (seconds + 4) * 1000);
`;

async function rtpFloor(): Promise<void> {
  const a = spawn(process.execPath, ['-e', ENDPOINT, '36951', '36952', String(seconds)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const b = spawn(process.execPath, ['-e', ENDPOINT, '36952', '36951', String(seconds)], { stdio: ['ignore', 'ignore', 'inherit'] });
  let out = '';
  a.stdout.on('data', (d) => (out += d));
  await new Promise((r) => setTimeout(r, 3000));
  const c0 = cpuSeconds(a.pid!);
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const c1 = cpuSeconds(a.pid!);
  const wall = (performance.now() - t0) / 1000;
  await Promise.all([new Promise((r) => a.once('exit', r)), new Promise((r) => b.once('exit', r))]);
  const received = (JSON.parse(out.trim() || '{}') as { received?: number }).received ?? 0;
  console.log(
    JSON.stringify({
      name: 'bare node RTP endpoint, 50 packets/s each way on loopback',
      seconds: Math.round(wall),
      packetsReceived: received,
      cpuPercentOfOneCore: Math.round(((c1 - c0) / wall) * 100 * 100) / 100,
    }),
  );
}

await rss('empty node', '');
await rss('hono + @hono/node-server + pino + a UDP socket', HELLO);
await rss('the same + zod, ws, smol-toml, sdp-transform, alawmulaw', HELLO + REST);
await rtpFloor();
