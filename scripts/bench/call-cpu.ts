/**
 * CPU per call of the compiled daemon in a real call: portier (its own process, started as the bin
 * and the systemd unit start it) registers at Kamailio, its button calls a baresip phone that
 * answers at once, and the two exchange a tone at 50 packets/s each way for N seconds.
 *
 *   npm run build && npx tsx scripts/bench/call-cpu.ts [--seconds 60] [--codec pcmu,opus]
 *
 * CPU is read from /proc/PID/stat (utime + stime of every thread of the process) over the call,
 * and over the same length of time idle and registered before it, so the figure per call is the
 * call's own cost: (in call - idle). baresip's CPU over the call is printed next to it, as a
 * reference for what a C softphone spends on the same media on this machine.
 * Ports: lab base 33000 (Kamailio, the phone, the daemon's SIP and RTP in 33000-33999).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startLab } from '../../test/support/peers/index.js';
import { cpuSeconds } from '../../test/support/proc-cpu.js';

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : def;
}
const seconds = Number(arg('seconds', '60'));
const codecs = arg('codec', 'pcmu,opus').split(',');
const root = fileURLToPath(new URL('../..', import.meta.url));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function measure(codec: string): Promise<Record<string, unknown>> {
  const lab = await startLab({ basePort: 33000, users: { door: 'doorpw', '200': 'pw200' }, name: 'portier-call-cpu' });
  const dir = mkdtempSync(join(tmpdir(), 'portier-call-cpu-'));
  let child: ChildProcess | null = null;
  try {
    const phone = await lab.phone({ user: '200', tone: 1000, codecs: [codec as 'pcmu'], answer: 'auto', maxLifetimeS: seconds * 3 + 60 });
    await phone.waitRegistered();
    const dev = lab.devicePorts;
    const token = 'bench-call-cpu-0123456789abcdef';
    const httpPort = dev.last - 1;
    const cfg = join(dir, 'portier.toml');
    writeFileSync(
      cfg,
      `state_dir = "${dir}/state"
[log]
level = "warn"
[panel]
listen = "127.0.0.1:${httpPort}"
token = "${token}"
[sip]
registrar = "sip:${lab.registrar}"
user = "door"
password = "doorpw"
listen = "127.0.0.1:${dev.first}"
[media]
rtp_ports = "${dev.first + 10}-${dev.last - 10}"
codecs = ["${codec}"]
[audio]
capture = "tone:440"
playback = "null"
[intercom]
max_call_s = ${Math.ceil(seconds * 2 + 60)}
[[buttons]]
id = "door"
call = ["200"]
`,
    );
    child = spawn(process.execPath, [...(process.env.BENCH_NODE_FLAGS ?? '').split(' ').filter(Boolean), '--max-semi-space-size=1', join(root, 'dist/daemon/cli.js'), 'run', '--config', cfg], { stdio: ['ignore', 'ignore', 'inherit'] });
    const pid = child.pid!;
    const api = async (method: string, path: string) => {
      const res = await fetch(`http://127.0.0.1:${httpPort}${path}`, { method, headers: { Authorization: `Bearer ${token}` } });
      return res.json() as Promise<Record<string, any>>; // eslint-disable-line @typescript-eslint/no-explicit-any
    };
    for (let i = 0; ; i++) {
      if (child.exitCode !== null) throw new Error(`daemon exited with ${child.exitCode}`);
      if (i > 100) throw new Error('daemon not registered in 20 s (did you run npm run build?)');
      try {
        if ((await api('GET', '/api/status')).sip?.registration === 'registered') break;
      } catch {
        /* not up yet */
      }
      await sleep(200);
    }
    await sleep(2000);
    // idle, registered: the same length of time as the call
    const idle0 = cpuSeconds(pid);
    await sleep(seconds * 1000);
    const idleCpu = cpuSeconds(pid) - idle0;

    await api('POST', '/api/buttons/door/press');
    let call: Record<string, any> | undefined; // eslint-disable-line @typescript-eslint/no-explicit-any
    for (let i = 0; i < 100 && call?.state !== 'connected'; i++) {
      await sleep(100);
      call = ((await api('GET', '/api/status')).calls as Record<string, unknown>[]).find((c) => c.state === 'connected');
    }
    if (call?.state !== 'connected') throw new Error('the phone did not answer');
    await sleep(1000);
    const connected = () => api('GET', '/api/status').then((st) => (st.calls as Record<string, any>[]).find((c) => c.state === 'connected')); // eslint-disable-line @typescript-eslint/no-explicit-any
    const m0 = (await connected())?.media;
    const c0 = cpuSeconds(pid);
    const s0 = cpuSeconds(pid, 'system');
    const p0 = cpuSeconds(phone.proc.pid);
    const t0 = performance.now();
    await sleep(seconds * 1000);
    const c1 = cpuSeconds(pid);
    const s1 = cpuSeconds(pid, 'system');
    const p1 = cpuSeconds(phone.proc.pid);
    const wall = (performance.now() - t0) / 1000;
    const m1 = (await connected())?.media;
    await api('POST', '/api/calls/hangup');
    const callCpu = c1 - c0;
    const perCall = callCpu - idleCpu * (wall / seconds);
    const pct = (s: number) => Math.round((s / wall) * 100 * 100) / 100;
    return {
      codec,
      seconds: Math.round(wall * 10) / 10,
      packetsSentPerSecond: m1 && m0 ? Math.round(((m1.packets_sent - m0.packets_sent) / wall) * 10) / 10 : null,
      packetsReceivedPerSecond: m1 && m0 ? Math.round(((m1.packets_received - m0.packets_received) / wall) * 10) / 10 : null,
      idleCpuPercentOfOneCore: pct(idleCpu),
      inCallCpuPercentOfOneCore: pct(callCpu),
      inCallKernelPercentOfOneCore: pct(s1 - s0),
      perCallCpuPercentOfOneCore: pct(perCall),
      perCallCpuSecondsPerCallMinute: Math.round((perCall / wall) * 60 * 1000) / 1000,
      baresipCpuPercentOfOneCore: pct(p1 - p0),
    };
  } finally {
    if (child && child.exitCode === null) {
      child.kill('SIGTERM');
      await new Promise((r) => child!.once('exit', r));
    }
    await lab.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

for (const c of codecs) {
  if (!['pcmu', 'pcma', 'g722', 'opus'].includes(c)) throw new Error(`unknown codec ${c}; known: pcmu, pcma, g722, opus`);
  console.log(JSON.stringify(await measure(c)));
}
process.exit(0);
