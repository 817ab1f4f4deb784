/**
 * Benchmark: N concurrent panel WebSocket clients on loopback (default 200) against a running daemon.
 *
 * Measures, per status change (a relay pulse through the API, so both the `on` and the `off` delta):
 *   - the latency from sending the API request to the delta's arrival at each client, and to its
 *     arrival at *every* client (the slowest one), as p50/p99/max;
 *   - meanwhile, with a call up (the demo flat answers a test ring), the daemon's 20 ms media clock:
 *     ticks and ticks late by more than 5 ms during the window (status `media_clock`), and the
 *     daemon's event-loop delay (panel stats, perf_hooks.monitorEventLoopDelay).
 *
 *   npm run build && npx tsx scripts/bench/panel-clients.ts   starts its own compiled daemon (demo flat),
 *                                                        with the flags of the bin and the systemd unit
 *   npx tsx scripts/bench/panel-clients.ts --url http://127.0.0.1:8080 --token TOKEN   an existing one
 *   options: --clients 200 --rounds 40 --relay door --button door --no-call --json
 *
 * The clients live in this process, so their own parsing is part of the figures (upper bound).
 * Loopback only; every loop is bounded in count and time.
 * Diagnostics: BENCH_NODE_FLAGS (e.g. "--trace-gc" or "--cpu-prof --cpu-prof-dir=DIR") is passed to
 * the daemon's node, and BENCH_DAEMON_STDOUT=1 shows its stdout.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';

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

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

async function ownDaemon(): Promise<{ url: string; token: string; stop: () => Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'portier-bench-panel-'));
  const port = await freePort();
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
[sip]
listen = "127.0.0.1:0"
[demo]
flat = true
flat_answer_ms = 500
[[buttons]]
id = "door"
driver = "sim"
[[relays]]
id = "door"
driver = "sim"
pulse_ms = 1000
`,
  );
  const child: ChildProcess = spawn(process.execPath, [...(process.env.BENCH_NODE_FLAGS ?? '').split(' ').filter(Boolean), '--max-semi-space-size=1', 'dist/daemon/cli.js', 'run', '--config', config], { cwd: root, stdio: ['ignore', process.env.BENCH_DAEMON_STDOUT ? 'inherit' : 'ignore', 'inherit'] });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`daemon exited with ${child.exitCode}`);
    try {
      if ((await fetch(`${url}/api/health`)).ok) break;
    } catch {
      /* not yet */
    }
    if (Date.now() > deadline) throw new Error('daemon not ready in 20 s (did you run npm run build?)');
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
    const mc0 = (before.media_clock ?? {}) as Record<string, number>;
    const mc1 = (after.media_clock ?? {}) as Record<string, number>;
    const result = {
      clients: clients.length,
      rounds: ROUNDS,
      call,
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
        `panel clients: ${result.clients}, status changes measured: ${result.rounds}, call: ${result.call}\n` +
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
