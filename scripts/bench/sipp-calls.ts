/**
 * portier as the answering side of many calls from sipp's built-in UAC.
 * Run: npx tsx scripts/bench/sipp-calls.ts [calls] [rate/s]
 * The daemon runs in this process (so its CPU is this process's CPU); sipp calls it directly on
 * loopback, one call at a time (-l 1: the door takes one call at a time and answers a second with
 * 486), each call INVITE -> 180 -> 200 -> ACK -> BYE -> 200.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { loadConfigText } from '../../config/load.js';
import { startDaemon } from '../../daemon/main.js';

const calls = Number(process.argv[2] ?? 1000);
const rate = Number(process.argv[3] ?? 100);
const dir = mkdtempSync(join(tmpdir(), 'portier-sipp-'));
const r = loadConfigText(
  `state_dir = "${dir}"\n[panel]\nlisten = "127.0.0.1:0"\ntoken = "bench-token-0123456789abcdef"\n[sip]\nlisten = "127.0.0.1:0"\nallow_direct_calls = true\nrate_limit_per_s = 100000\n[media]\nrtp_ports = "35000-35400"\ncodecs = ["pcmu"]\n[intercom]\nanswer_delay_ms = 0\n`,
  { env: {} },
);
if (!r.ok) throw new Error(JSON.stringify(r.issues));
const daemon = await startDaemon({ config: r.config, log: pino({ level: 'silent' }) });
const cpu0 = process.cpuUsage();
const t0 = performance.now();
const child = spawn(
  'sipp',
  ['-sn', 'uac', `127.0.0.1:${daemon.sipPort}`, '-s', 'door', '-i', '127.0.0.1', '-p', '35901', '-mp', '35910', '-m', String(calls), '-r', String(rate), '-l', '1', '-d', '0', '-nostdin', '-timeout', '600', '-timeout_error', '-trace_stat', '-stf', join(dir, 'stat.csv')],
  { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] },
);
let stderr = '';
child.stderr.on('data', (d) => (stderr += d));
const code: number = await new Promise((res) => child.on('exit', (c) => res(c ?? -1)));
const seconds = (performance.now() - t0) / 1000;
const cpu = process.cpuUsage(cpu0);
const { readFileSync } = await import('node:fs');
const rows = readFileSync(join(dir, 'stat.csv'), 'utf8').trim().split('\n');
const head = rows[0].split(';');
const last = rows.at(-1)!.split(';');
const col = (name: string) => Number(last[head.indexOf(name)]);
await daemon.close();
console.log(
  JSON.stringify({
    bench: 'sipp uac -> portier (answering side)',
    calls,
    sippExit: code,
    successful: col('SuccessfulCall(C)'),
    failed: col('FailedCall(C)'),
    seconds: Number(seconds.toFixed(1)),
    callsPerSecond: Number((col('SuccessfulCall(C)') / seconds).toFixed(1)),
    portierCpuSeconds: Number(((cpu.user + cpu.system) / 1e6).toFixed(2)),
    portierCpuPercentOfOneCore: Number((((cpu.user + cpu.system) / 1e6 / seconds) * 100).toFixed(1)),
    ...(code !== 0 ? { sippStderr: stderr.slice(-500) } : {}),
  }),
);
process.exit(0);
