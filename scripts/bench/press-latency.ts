/**
 * Press-to-INVITE latency and press-to-two-way-audio time.
 * Run: npx tsx scripts/bench/press-latency.ts [presses]
 *
 * 1. A daemon (in this process) whose button calls a plain UDP socket. For each of N presses
 *    (POST /api/buttons/door/press over HTTP from a separate client process), the time from
 *    sending the API request until the INVITE arrives at that socket; the socket answers 486 so
 *    the next press can follow. Interleaved with in-process presses (the HAL button's press()).
 * 2. The built-in demo with the flat answering at once: press -> first RTP packet received by the
 *    door from the flat (the flat receives the door's audio from its 200 OK onwards).
 */
import { fork } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { fileURLToPath } from 'node:url';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { DEMO_TOML } from '../../config/demo.js';
import { loadConfigText } from '../../config/load.js';
import { startDaemon } from '../../daemon/main.js';
import { createResponse, newTag } from '../../daemon/sip/message-helpers.js';
import { parseMessage } from '../../daemon/sip/parser.js';
import { serializeMessage } from '../../daemon/sip/serializer.js';

const presses = Number(process.argv[2] ?? 200);
const token = 'bench-token-0123456789abcdef';
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];

async function pressToInvite(): Promise<void> {
  const uas = createSocket('udp4');
  await new Promise<void>((r) => uas.bind(0, '127.0.0.1', () => r()));
  const uasPort = uas.address().port;
  const dir = mkdtempSync(join(tmpdir(), 'portier-bench-'));
  const r = loadConfigText(
    `state_dir = "${dir}"\n[panel]\nlisten = "127.0.0.1:0"\ntoken = "${token}"\n[sip]\nlisten = "127.0.0.1:0"\nallow_direct_calls = true\n[media]\nrtp_ports = "34000-34100"\n[intercom]\nringback = false\n[[buttons]]\nid = "door"\ncall = ["sip:flat@127.0.0.1:${uasPort}"]\n`,
    { env: {} },
  );
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  const daemon = await startDaemon({ config: r.config, log: pino({ level: 'silent' }) });
  let onInvite: (() => void) | null = null;
  uas.on('message', (data, rinfo) => {
    const p = parseMessage(data);
    if (!p.ok || p.message.kind !== 'request') return;
    const req = p.message;
    if (req.method === 'INVITE') {
      onInvite?.();
      const res = createResponse(req, 486, 'Busy Here', { toTag: newTag() });
      uas.send(serializeMessage(res), rinfo.port, rinfo.address);
    }
  });
  const url = `http://127.0.0.1:${daemon.httpPort}/api/buttons/door/press`;
  // the HTTP client runs in its own process, as a real client would; times are epoch ms on both sides
  const client = fork(fileURLToPath(new URL('./press-client.mjs', import.meta.url)), [url, token]);
  const sent = (): Promise<number> => new Promise((res) => client.once('message', (m) => res(Number(m))));
  const epoch = () => performance.timeOrigin + performance.now();
  const samples: number[] = [];
  const direct: number[] = [];
  for (let i = 0; i < 2 * presses; i++) {
    const viaApi = i % 2 === 0;
    const got = new Promise<number>((res) => (onInvite = () => res(epoch())));
    let t0: number;
    if (viaApi) {
      const t = sent();
      client.send('press');
      t0 = await t;
    } else {
      t0 = epoch();
      daemon.buttons.get('door')!.press();
    }
    (viaApi ? samples : direct).push((await got) - t0);
    // wait until the call is over (486 -> ACK) before the next press
    while (daemon.intercom.currentCall) await new Promise((res) => setTimeout(res, 2));
  }
  client.kill();
  await daemon.close();
  uas.close();
  console.log(
    JSON.stringify({
      bench: 'press-to-INVITE (API request sent -> INVITE received on loopback)',
      presses,
      p50Ms: Number(pct(samples, 50).toFixed(2)),
      p99Ms: Number(pct(samples, 99).toFixed(2)),
      maxMs: Number(Math.max(...samples).toFixed(2)),
      inProcessPressP50Ms: Number(pct(direct, 50).toFixed(2)),
      inProcessPressP99Ms: Number(pct(direct, 99).toFixed(2)),
    }),
  );
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
      const c = daemon.intercom.currentCall as { media?: { packets_received: number; packets_sent: number } } | null;
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
