/**
 * Start-to-ready time and idle RSS of the compiled daemon on the demo default.
 * Run: npm run build && npx tsx scripts/bench/startup.ts [runs]
 * "ready" = the moment the daemon sends READY=1 to a notify socket, measured from spawn.
 * Idle RSS is read from /proc/PID/status (VmRSS) 3 s after ready. The daemon runs with the
 * same V8 flag as the bin and the systemd unit (--max-semi-space-size=1).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const unix = require('unix-dgram') as {
  createSocket(type: 'unix_dgram', cb?: (msg: Buffer) => void): { bind(path: string): void; close(): void };
};
const root = fileURLToPath(new URL('../..', import.meta.url));
const runs = Number(process.argv[2] ?? 5);

async function once(i: number): Promise<{ readyMs: number; rssMb: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'portier-bench-'));
  const sockPath = join(dir, 'notify.sock');
  const cfg = join(dir, 'bench.toml');
  writeFileSync(cfg, `state_dir = "${dir}/state"\n[panel]\nlisten = "127.0.0.1:0"\n[sip]\nlisten = "127.0.0.1:0"\n[[buttons]]\nid = "door"\n[[relays]]\nid = "door"\n`);
  let readyAt = 0;
  const ready = new Promise<void>((resolve) => {
    const sock = unix.createSocket('unix_dgram', (msg) => {
      if (msg.toString().startsWith('READY=1')) {
        readyAt = performance.now();
        sock.close();
        resolve();
      }
    });
    sock.bind(sockPath);
  });
  const t0 = performance.now();
  const child = spawn(process.execPath, ['--max-semi-space-size=1', join(root, 'dist/daemon/cli.js'), 'run', '--config', cfg], {
    env: { ...process.env, NOTIFY_SOCKET: sockPath },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  await ready;
  await new Promise((r) => setTimeout(r, 3000));
  const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)![1]);
  child.kill('SIGTERM');
  await new Promise((r) => child.on('exit', r));
  const res = { readyMs: readyAt - t0, rssMb: rssKb / 1024 };
  console.log(`run ${i + 1}: ready ${res.readyMs.toFixed(0)} ms, idle RSS ${res.rssMb.toFixed(1)} MB`);
  return res;
}

const results = [];
for (let i = 0; i < runs; i++) results.push(await once(i));
const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(
  JSON.stringify({
    runs,
    readyMsMedian: Math.round(med(results.map((r) => r.readyMs))),
    readyMsMax: Math.round(Math.max(...results.map((r) => r.readyMs))),
    idleRssMbMedian: Number(med(results.map((r) => r.rssMb)).toFixed(1)),
  }),
);
