/**
 * Press-to-INVITE latency and press-to-two-way-audio time.
 * Run: npm run build && npx tsx scripts/bench/press-latency.ts [presses]
 *
 * 1. The compiled daemon in its own process, started as the bin and the systemd unit start it
 *    (node --max-semi-space-size=1 dist/daemon/cli.js run), its button calling a plain UDP socket
 *    in this process. For each of N presses, this process POSTs /api/buttons/door/press (node:http,
 *    a kept-alive connection, as a home-automation client would) and times the moment the request
 *    is written to the moment the INVITE arrives at the socket, both on this process's clock. The
 *    socket answers 486, and the next press waits until /api/status shows no call.
 * 2. The built-in demo in this process with the flat answering at once: press -> first RTP packet
 *    each way (the flat receives the door's audio from its 200 OK onwards).
 */
import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { Agent, request } from 'node:http';
import { fileURLToPath } from 'node:url';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { DEMO_TOML } from '../../config/demo.js';
import { loadConfigText } from '../../config/load.js';
import { startDaemon } from '../../daemon/main.js';
import { createResponse, newTag } from '../../daemon/sip/message-helpers.js';
import { parseMessage } from '../../daemon/sip/parser.js';
import { serializeMessage } from '../../daemon/sip/serializer.js';
import { freeTcpPort } from '../../test/support/free-port.js';

const presses = Number(process.argv[2] ?? 200);
const token = 'bench-token-0123456789abcdef';
const root = fileURLToPath(new URL('../..', import.meta.url));
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));


const agent = new Agent({ keepAlive: true, maxSockets: 1 });
function http(method: string, port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, agent, headers: { Authorization: `Bearer ${token}`, 'Content-Length': 0 } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function pressToInvite(): Promise<void> {
  const uas = createSocket('udp4');
  await new Promise<void>((r) => uas.bind(0, '127.0.0.1', () => r()));
  const uasPort = uas.address().port;
  const dir = mkdtempSync(join(tmpdir(), 'portier-bench-'));
  const httpPort = await freeTcpPort();
  const cfg = join(dir, 'bench.toml');
  writeFileSync(
    cfg,
    `state_dir = "${dir}/state"\n[log]\nlevel = "warn"\n[panel]\nlisten = "127.0.0.1:${httpPort}"\ntoken = "${token}"\n[sip]\nlisten = "127.0.0.1:0"\nallow_direct_calls = true\n[media]\nrtp_ports = "34000-34100"\n[intercom]\nringback = false\n[[buttons]]\nid = "door"\ncall = ["sip:flat@127.0.0.1:${uasPort}"]\n`,
  );
  const child = spawn(process.execPath, ['--max-semi-space-size=1', join(root, 'dist/daemon/cli.js'), 'run', '--config', cfg], { stdio: ['ignore', 'ignore', 'inherit'] });
  try {
    for (let i = 0; ; i++) {
      if (child.exitCode !== null) throw new Error(`daemon exited with ${child.exitCode}`);
      if (i > 200) throw new Error('daemon not ready in 20 s (did you run npm run build?)');
      try {
        if ((await http('GET', httpPort, '/api/health')).status === 200) break;
      } catch {
        /* not yet */
      }
      await sleep(100);
    }
    let onInvite: ((at: number) => void) | null = null;
    uas.on('message', (data, rinfo) => {
      const at = performance.now();
      const p = parseMessage(data);
      if (!p.ok || p.message.kind !== 'request') return;
      const req = p.message;
      if (req.method === 'INVITE') {
        onInvite?.(at);
        const res = createResponse(req, 486, 'Busy Here', { toTag: newTag() });
        uas.send(serializeMessage(res), rinfo.port, rinfo.address);
      }
    });
    const samples: number[] = [];
    for (let i = 0; i < presses + 5; i++) {
      const got = new Promise<number>((res) => (onInvite = res));
      const t0 = performance.now();
      const answer = http('POST', httpPort, '/api/buttons/door/press');
      const at = await got;
      if ((await answer).status >= 300) throw new Error('press refused');
      if (i >= 5) samples.push(at - t0); // the first presses warm up the daemon's JIT and the connection
      // wait until the call is over (486 -> ACK) before the next press
      for (let k = 0; ; k++) {
        const st = JSON.parse((await http('GET', httpPort, '/api/status')).body) as { calls: { state: string }[] };
        if (!st.calls.some((c) => c.state !== 'ended')) break;
        if (k > 500) throw new Error('call did not end');
        await sleep(2);
      }
      await sleep(20);
    }
    console.log(
      JSON.stringify({
        bench: 'press-to-INVITE (API request written -> INVITE received on loopback; compiled daemon in its own process)',
        presses,
        p50Ms: Number(pct(samples, 50).toFixed(2)),
        p99Ms: Number(pct(samples, 99).toFixed(2)),
        maxMs: Number(Math.max(...samples).toFixed(2)),
      }),
    );
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    agent.destroy();
    uas.close();
  }
}

async function pressToAudio(runs = 10): Promise<void> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const dir = mkdtempSync(join(tmpdir(), 'portier-bench-'));
    const toml =
      DEMO_TOML.replace('listen = "127.0.0.1:8080"', 'listen = "127.0.0.1:0"').replace('[demo]\nflat = true', '[demo]\nflat = true\nflat_answer_ms = 0') +
      `\nstate_dir = "${dir}"\n`;
    const r = loadConfigText(toml.replace(/\n(state_dir = .*)\n$/, '\n').replace(/^/, `state_dir = "${dir}"\n`), { env: {} });
    if (!r.ok) throw new Error(JSON.stringify(r.issues));
    r.config.panel.token = token;
    const daemon = await startDaemon({ config: r.config, log: pino({ level: 'silent' }) });
    const t0 = performance.now();
    daemon.buttons.get('door')!.press();
    for (;;) {
      const c = (daemon.hub.get('calls') as { media?: { packets_received: number; packets_sent: number } }[] | undefined)?.[0];
      if (c?.media && c.media.packets_received > 0 && c.media.packets_sent > 0) break;
      await new Promise((res) => setTimeout(res, 1));
    }
    times.push(performance.now() - t0);
    await daemon.close();
  }
  console.log(
    JSON.stringify({
      bench: 'press-to-two-way-audio (demo flat answering at once; first RTP each way)',
      runs,
      p50Ms: Number(pct(times, 50).toFixed(1)),
      maxMs: Number(Math.max(...times).toFixed(1)),
    }),
  );
}

await pressToInvite();
await pressToAudio();
process.exit(0);
