/**
 * Benchmark: N concurrent panel WebSocket clients on loopback (default 200) against a running daemon.
 *
 * Measures, per status change (a relay pulse through the API, so both the `on` and the `off` delta):
 *   - the latency from sending the API request to the delta's arrival at each client, and to its
 *     arrival at *every* client (the slowest one), as p50/p99/max;
 *   - meanwhile, with a call up (a baresip phone answers a test ring), the daemon's 20 ms media clock:
 *     ticks and ticks late by more than 5 ms during the window (status `media_clock`), and the
 *     daemon's event-loop delay (panel stats, perf_hooks.monitorEventLoopDelay).
 *
 *   npm run build && npx tsx scripts/bench/panel-clients.ts   starts its own compiled daemon and a phone,
 *                                                        with the flags of the bin and the systemd unit
 *   npx tsx scripts/bench/panel-clients.ts --url http://127.0.0.1:8080 --token TOKEN   an existing one
 *   options: --clients 200 --rounds 40 --relay door --button door --no-call --json
 *            --peer baresip (default: a baresip phone through Kamailio answers) | demo (the embedded flat)
 *
 * The clients live in this process, so their own parsing is part of the figures (upper bound).
 * Loopback only; every loop is bounded in count and time.
 * Diagnostics: BENCH_NODE_FLAGS (e.g. "--trace-gc" or "--cpu-prof --cpu-prof-dir=DIR") is passed to
 * the daemon's node, and BENCH_DAEMON_STDOUT=1 shows its stdout.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';
import { freeTcpPort } from '../../test/support/free-port.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

const { values: args } = parseArgs({
  options: {
    url: { type: 'string' },
    token: { type: 'string' },
    clients: { type: 'string', default: '200' },
    rounds: { type: 'string', default: '40' },
    relay: { type: 'string', default: 'door' },
    button: { type: 'string', default: 'door' },
    'no-call': { type: 'boolean', default: false },
    peer: { type: 'string', default: 'baresip' },
    json: { type: 'boolean', default: false },
  },
});

const CLIENTS = Math.min(1000, Math.max(1, Number(args.clients)));
const ROUNDS = Math.min(500, Math.max(1, Number(args.rounds)));

function quantile(xs: number[], q: number): number {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))];
}
const r2 = (x: number) => Math.round(x * 100) / 100;
const summary = (xs: number[]) => ({ n: xs.length, p50: r2(quantile(xs, 0.5)), p99: r2(quantile(xs, 0.99)), max: r2(Math.max(...xs)) });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));


/**
 * The far end of the call: a baresip phone registered at Kamailio (lab base 33000, as a resident's
 * phone would be), or with --peer demo the daemon's embedded demo flat (no lab needed, but then the
 * flat's media and recording share the daemon's event loop, which a real installation does not have).
 */
async function farEnd(): Promise<{ toml: string; stop: () => Promise<void> }> {
  if (args.peer === 'demo') return { toml: `[sip]\nlisten = "127.0.0.1:0"\n[demo]\nflat = true\nflat_answer_ms = 500\n[[buttons]]\nid = "door"\ndriver = "sim"\n`, stop: async () => {} };
  if (args.peer !== 'baresip') throw new Error(`--peer must be baresip or demo, not ${args.peer}`);
  const { startLab } = await import('../../test/support/peers/index.js');
  const lab = await startLab({ basePort: 33000, users: { door: 'doorpw', '200': 'pw200' }, name: 'portier-bench-panel', maxLifetimeS: 3600 });
  try {
    const phone = await lab.phone({ user: '200', tone: 1000, codecs: ['pcmu'], answer: 'auto', maxLifetimeS: 3600 });
    await phone.waitRegistered();
    const dev = lab.devicePorts;
    return {
      toml: `[sip]\nregistrar = "sip:${lab.registrar}"\nuser = "door"\npassword = "doorpw"\nlisten = "127.0.0.1:${dev.first}"\n[media]\nrtp_ports = "${dev.first + 10}-${dev.last}"\ncodecs = ["pcmu"]\n[[buttons]]\nid = "door"\ndriver = "sim"\ncall = ["200"]\n`,
      stop: () => lab.stop(),
    };
  } catch (err) {
    await lab.stop();
    throw err;
  }
}

async function ownDaemon(): Promise<{ url: string; token: string; stop: () => Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'portier-bench-panel-'));
  const port = await freeTcpPort();
  const far = await farEnd();
  const token = 'bench-panel-token-' + Math.random().toString(36).slice(2);
  const config = join(dir, 'portier.toml');
  writeFileSync(
    config,
    `state_dir = ${JSON.stringify(join(dir, 'state'))}
[log]
level = "warn"
[audio]
capture = "tone:440"
playback = "null"
[panel]
listen = "127.0.0.1:${port}"
token = "${token}"
${far.toml}[[relays]]
id = "door"
driver = "sim"
pulse_ms = 1000
`,
  );
  const child: ChildProcess = spawn(process.execPath, [...(process.env.BENCH_NODE_FLAGS ?? '').split(' ').filter(Boolean), '--max-semi-space-size=1', 'dist/daemon/cli.js', 'run', '--config', config], { cwd: root, stdio: ['ignore', process.env.BENCH_DAEMON_STDOUT ? 'inherit' : 'ignore', 'inherit'] });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) {
      await far.stop();
      throw new Error(`daemon exited with ${child.exitCode}`);
    }
    try {
      const st = await fetch(`${url}/api/status`, { headers: { Authorization: `Bearer ${token}` } });
      if (st.ok && (args.peer === 'demo' || ((await st.json()) as { sip: { registration: string } }).sip.registration === 'registered')) break;
    } catch {
      /* not yet */
    }
    if (Date.now() > deadline) {
      child.kill('SIGTERM');
      await far.stop();
      throw new Error('daemon not ready (registered, with --peer baresip) in 20 s (did you run npm run build?)');
    }
    await sleep(200);
  }
  return {
    url,
    token,
    stop: async () => {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await new Promise((r) => child.once('exit', r));
      }
      await far.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

interface Client {
  ws: WebSocket;
  /** arrival time of the latest relay delta per relay state */
  seen: Map<string, number>;
}

async function main(): Promise<void> {
  const own = args.url ? null : await ownDaemon();
  const url = args.url ?? own!.url;
  const token = args.token ?? own?.token ?? '';
  const auth = { Authorization: `Bearer ${token}` };
  const api = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${url}${path}`, { method, headers: { ...auth, 'Content-Type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
    return res.json() as Promise<Record<string, unknown>>;
  };
  const relayKey = JSON.stringify(args.relay);
  try {
    // connect the clients (in batches, so the accept queue is not the thing measured)
    const clients: Client[] = [];
    for (let i = 0; i < CLIENTS; i += 50) {
      const batch = Array.from({ length: Math.min(50, CLIENTS - i) }, () =>
        new Promise<Client>((resolve, reject) => {
          const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/ws`, { headers: auth, perMessageDeflate: false });
          const c: Client = { ws, seen: new Map() };
          ws.on('message', (data) => {
            const t = performance.now();
            const text = String(data);
            if (text.startsWith('{"type":"snapshot"')) return resolve(c);
            // cheap match first: only relay deltas matter here
            if (!text.startsWith('{"type":"delta","section":"relays"')) return;
            const m = JSON.parse(text) as { value: Record<string, { state: string }> };
            const state = m.value[args.relay!]?.state;
            if (state) c.seen.set(state, t);
          });
          ws.once('error', reject);
          ws.once('unexpected-response', (_q, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
        }),
      );
      clients.push(...(await Promise.all(batch)));
    }
    if (!relayKey) throw new Error('no relay');

    let call = 'none';
    if (!args['no-call']) {
      await api('POST', `/api/buttons/${encodeURIComponent(args.button!)}/press`);
      const until = Date.now() + 10_000;
      for (;;) {
        const st = await api('GET', '/api/status');
        const calls = (st.calls as { state: string }[] | undefined) ?? [];
        if (calls.some((c) => c.state === 'connected')) {
          call = 'connected';
          break;
        }
        if (Date.now() > until) {
          call = `not connected (${calls.map((c) => c.state).join(',') || 'no call'})`;
          break;
        }
        await sleep(200);
      }
      await sleep(500);
    }

    const before = await api('GET', '/api/status');
    await api('GET', '/api/panel/stats?reset=1').catch(() => null);
    const perClient: number[] = [];
    const toAll: number[] = [];
    let missed = 0;
    for (let round = 0; round < ROUNDS; round++) {
      for (const c of clients) c.seen.clear();
      const t0 = performance.now();
      await api('POST', `/api/relays/${encodeURIComponent(args.relay!)}/pulse`, { ms: 60 });
      // the `on` delta, then (60 ms later) the `off` one: two status changes per round
      for (const [state, from] of [
        ['on', t0],
        ['off', NaN],
      ] as const) {
        const deadline = performance.now() + 2000;
        while (clients.some((c) => !c.seen.has(state)) && performance.now() < deadline) await sleep(1);
        const got = clients.filter((c) => c.seen.has(state));
        missed += clients.length - got.length;
        if (state === 'on') {
          const lat = got.map((c) => c.seen.get(state)! - from);
          perClient.push(...lat);
          if (got.length === clients.length) toAll.push(Math.max(...lat));
        }
      }
      await sleep(40);
    }
    const after = await api('GET', '/api/status');
    const panelStats = await api('GET', '/api/panel/stats').catch(() => null);
    const media = (st: Record<string, unknown>) => ((st.calls as { state: string; media?: { packets_sent: number; packets_received: number } }[] | undefined) ?? []).find((c) => c.state === 'connected')?.media;
    const m0 = media(before);
    const m1 = media(after);
    const mc0 = (before.media_clock ?? {}) as Record<string, number>;
    const mc1 = (after.media_clock ?? {}) as Record<string, number>;
    const result = {
      clients: clients.length,
      rounds: ROUNDS,
      call,
      rtp_in_window: m0 && m1 ? { sent: m1.packets_sent - m0.packets_sent, received: m1.packets_received - m0.packets_received } : null,
      latency_ms: { per_client: summary(perClient), to_every_client: summary(toAll) },
      missed_deliveries: missed,
      media_clock:
        mc1.ticks !== undefined
          ? {
              running: mc1.running,
              ticks_in_window: mc1.ticks - (mc0.ticks ?? 0),
              late_over_5ms_in_window: mc1.lateTicks - (mc0.lateTicks ?? 0),
              max_late_ms_since_start: r2(mc1.maxLateMs),
              mean_late_ms_since_start: r2(mc1.meanLateMs),
            }
          : 'not in /api/status',
      daemon_event_loop_ms: panelStats?.event_loop ?? 'no /api/panel/stats',
      daemon_broadcast_ms: panelStats?.broadcast ?? 'no /api/panel/stats',
    };
    for (const c of clients) c.ws.terminate();
    if (!args['no-call']) await api('POST', '/api/calls/hangup').catch(() => null);
    if (args.json) process.stdout.write(JSON.stringify(result, null, 2) + '\n');
    else {
      const l = result.latency_ms;
      process.stdout.write(
        `panel clients: ${result.clients}, status changes measured: ${result.rounds}, call: ${result.call} (peer: ${args.peer}), RTP in the window: ${JSON.stringify(result.rtp_in_window)}\n` +
          `  API request -> delta at one client:   p50 ${l.per_client.p50} ms, p99 ${l.per_client.p99} ms, max ${l.per_client.max} ms (n=${l.per_client.n})\n` +
          `  API request -> delta at every client: p50 ${l.to_every_client.p50} ms, p99 ${l.to_every_client.p99} ms, max ${l.to_every_client.max} ms\n` +
          `  missed deliveries: ${result.missed_deliveries}\n` +
          `  media clock: ${JSON.stringify(result.media_clock)}\n` +
          `  daemon event-loop lag (ms): ${JSON.stringify(result.daemon_event_loop_ms)}\n` +
          `  daemon time per broadcast to all clients (ms): ${JSON.stringify(result.daemon_broadcast_ms)}\n`,
      );
    }
  } finally {
    await own?.stop();
  }
}

main().catch((err) => {
  process.stderr.write(`panel-clients: ${(err as Error).message}\n`);
  process.exit(1);
});
