/**
 * CPU cost of the media path: two MediaSessions on 127.0.0.1 exchange a tone for N seconds at
 * 50 packets/s each way with the chosen codecs, and the process's CPU time (process.cpuUsage)
 * is reported per call-minute (one call = one session, i.e. what the daemon runs per call).
 *
 *   npx tsx scripts/bench/media-cpu.ts [--seconds 20] [--codec pcmu,opus] [--baseline] [--packets]
 *
 * --baseline first measures an empty 50 Hz timer for the same time: on a small/shared VM the
 * wakeups alone are a visible part of the figure. --packets first times RTP serialize + parse.
 */
import { createCodec, CODECS } from '../../daemon/media/codecs/registry.js';
import { MediaSession, type AudioCapture, type AudioPlayback } from '../../daemon/media/media-session.js';
import { parseRtp, serializeRtp } from '../../daemon/media/rtp-packet.js';
import { PortAllocator, RtpSocket } from '../../daemon/media/rtp-socket.js';
import type { CodecName } from '../../daemon/media/types.js';
import { systemClock } from '../../daemon/util/clock.js';

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : def;
}

class Tone implements AudioCapture {
  private n = 0;
  constructor(
    private readonly freq: number,
    readonly sampleRate: number,
  ) {}
  read(samples: number): Int16Array {
    const out = new Int16Array(samples);
    for (let i = 0; i < samples; i++, this.n++) out[i] = Math.round(8000 * Math.sin((2 * Math.PI * this.freq * this.n) / this.sampleRate));
    return out;
  }
}

class Sink implements AudioPlayback {
  samples = 0;
  constructor(readonly sampleRate: number) {}
  write(pcm: Int16Array): void {
    this.samples += pcm.length;
  }
}

async function run(codecName: CodecName, seconds: number): Promise<void> {
  const info = CODECS[codecName];
  const allocator = new PortAllocator('36500-36540');
  const [sa, sb] = [await RtpSocket.open({ allocator, address: '127.0.0.1' }), await RtpSocket.open({ allocator, address: '127.0.0.1' })];
  const mk = (sock: RtpSocket, peer: RtpSocket, freq: number) =>
    new MediaSession({
      clock: systemClock,
      transport: sock,
      remote: { address: '127.0.0.1', rtpPort: peer.rtpPort },
      codec: { codec: createCodec(codecName), payloadType: info.payloadType, telephoneEventPt: 101 },
      capture: new Tone(freq, info.sampleRate),
      playback: new Sink(info.sampleRate),
    });
  const a = mk(sa, sb, 1000);
  const b = mk(sb, sa, 600);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  a.start();
  b.start();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const wall = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const sa1 = a.stats();
  const sb1 = b.stats();
  a.close();
  b.close();
  const cpuSec = (cpu.user + cpu.system) / 1e6;
  const callMinutes = (2 * wall) / 60; // two sessions = two calls' worth of media
  console.log(
    JSON.stringify({
      codec: codecName,
      seconds: Math.round(wall * 10) / 10,
      packetsSentPerSecond: Math.round(((sa1.packetsSent + sb1.packetsSent) / 2 / wall) * 10) / 10,
      packetsReceived: sa1.packetsReceived + sb1.packetsReceived,
      loss: Math.max(sa1.loss, sb1.loss),
      concealed: sa1.jitterBuffer.concealed + sb1.jitterBuffer.concealed,
      cpuSeconds: Math.round(cpuSec * 1000) / 1000,
      cpuSecondsPerCallMinute: Math.round((cpuSec / callMinutes) * 1000) / 1000,
      cpuPercentOfOneCorePerCall: Math.round(((cpuSec / 2 / wall) * 100) * 100) / 100,
    }),
  );
}

/** The floor on this machine: an empty 50 Hz timer (one media tick per 20 ms, no work). */
async function baseline(seconds: number): Promise<void> {
  const cpu0 = process.cpuUsage();
  const iv = setInterval(() => {}, 20);
  await new Promise((r) => setTimeout(r, seconds * 1000));
  clearInterval(iv);
  const cpu = process.cpuUsage(cpu0);
  const cpuSec = (cpu.user + cpu.system) / 1e6;
  console.log(JSON.stringify({ baseline: 'empty 50 Hz timer', seconds, cpuSecondsPerMinute: Math.round((cpuSec / (seconds / 60)) * 1000) / 1000 }));
}

/** RTP serialize + parse of 160-byte packets, per second of CPU (no sockets). */
function packetThroughput(): void {
  const payload = new Uint8Array(160);
  const n = 500_000;
  let sum = 0;
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const r = parseRtp(serializeRtp({ marker: false, payloadType: 0, seq: i & 0xffff, timestamp: i * 160, ssrc: 42 }, payload));
    if (r.ok) sum += r.packet.seq;
  }
  const s = (performance.now() - t0) / 1000;
  console.log(JSON.stringify({ rtpSerializeParsePerSecond: Math.round(n / s), check: sum > 0 }));
}

const seconds = Number(arg('seconds', '20'));
if (process.argv.includes('--packets')) packetThroughput();
if (process.argv.includes('--baseline')) await baseline(seconds);
for (const c of arg('codec', 'pcmu,opus').split(',')) {
  if (!(c in CODECS)) throw new Error(`unknown codec ${c}; known: ${Object.keys(CODECS).join(', ')}`);
  await run(c as CodecName, seconds);
}
