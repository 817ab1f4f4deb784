/**
 * Parse + serialize throughput of a typical INVITE with SDP: portier's parser/serializer against
 * the npm `sip` package's parse/stringify, in the same run, plus how many of the 49 RFC 4475
 * torture messages each gets right (valid ones accepted, invalid ones rejected).
 *
 *   npx tsx scripts/bench/sip-parse.ts [seconds per side, default 3]
 */
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
// @ts-expect-error the npm sip package ships no type declarations
import sip from 'sip';
import { parseMessage } from '../../daemon/sip/parser.js';
import { serializeMessage } from '../../daemon/sip/serializer.js';

const SDP = [
  'v=0', 'o=- 3922309137 3922309137 IN IP4 192.168.1.20', 's=portier', 'c=IN IP4 192.168.1.20', 't=0 0',
  'm=audio 40000 RTP/AVP 9 0 8 101', 'a=rtpmap:9 G722/8000', 'a=rtpmap:0 PCMU/8000', 'a=rtpmap:8 PCMA/8000',
  'a=rtpmap:101 telephone-event/8000', 'a=fmtp:101 0-16', 'a=ptime:20', 'a=sendrecv', '',
].join('\r\n');

const INVITE = Buffer.from([
  'INVITE sip:101@192.168.1.1:5060 SIP/2.0',
  'Via: SIP/2.0/UDP 192.168.1.20:5060;rport;branch=z9hG4bKPj3f2a9c1e4b7d4f0a8e6c',
  'Max-Forwards: 70',
  'From: "Front Door" <sip:door@192.168.1.1>;tag=8d1c2e3f4a5b',
  'To: <sip:101@192.168.1.1>',
  'Contact: <sip:door@192.168.1.20:5060;transport=udp>',
  'Call-ID: 5f0c8f8e-2f7e-4b7a-9a3e-1c2d3e4f5a6b',
  'CSeq: 4711 INVITE',
  'Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, INFO',
  'Supported: replaces, timer',
  'User-Agent: portier/0.1.0',
  'Content-Type: application/sdp',
  `Content-Length: ${Buffer.byteLength(SDP)}`,
  '',
  SDP,
].join('\r\n'));

/**
 * Messages per second of CPU time (user + system of this process) over about `ms` milliseconds of
 * wall time: on a shared machine, time spent descheduled does not count against either side.
 */
function rate(fn: () => void, ms: number): number {
  let n = 0;
  const start = performance.now();
  const cpu0 = process.cpuUsage();
  while (performance.now() - start < ms) {
    for (let i = 0; i < 500; i++) fn();
    n += 500;
  }
  const cpu = process.cpuUsage(cpu0);
  return n / ((cpu.user + cpu.system) / 1e6);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

const seconds = Number(process.argv[2] ?? 4);

function ours(): void {
  const r = parseMessage(INVITE);
  if (!r.ok) throw new Error(r.reason);
  serializeMessage(r.message);
}

function theirs(): void {
  const m = sip.parse(INVITE);
  if (!m) throw new Error('sip.parse failed');
  Buffer.from(sip.stringify(m), 'binary');
}

for (let i = 0; i < 20000; i++) {
  ours();
  theirs();
}

// The machine is shared: alternate short rounds of each and compare medians, so a burst of load
// from elsewhere hits both sides alike.
const ROUND_MS = 200;
const rounds = Math.max(4, Math.round((seconds * 1000) / (2 * ROUND_MS)));
const a: number[] = [];
const b: number[] = [];
const ratios: number[] = [];
for (let r = 0; r < rounds; r++) {
  const x = rate(ours, ROUND_MS);
  const y = rate(theirs, ROUND_MS);
  a.push(x);
  b.push(y);
  ratios.push(x / y);
}
const fmt = (v: number) => Math.round(v).toLocaleString('en-US').padStart(10);
console.log(`INVITE with SDP, ${INVITE.length} bytes; parse + serialize; ${rounds} alternating rounds of ${ROUND_MS} ms; Node ${process.version}`);
console.log(`portier parseMessage+serializeMessage ${fmt(median(a))} msg/s of CPU time (median)`);
console.log(`npm sip parse+stringify               ${fmt(median(b))} msg/s of CPU time (median)`);
console.log(`ratio portier / sip: ${median(ratios).toFixed(2)}x (median of per-round ratios; min ${Math.min(...ratios).toFixed(2)}, max ${Math.max(...ratios).toFixed(2)})`);

// RFC 4475: which messages are valid (accept) and which invalid (reject) at the syntax level
const INVALID = new Set([
  'badinv01', 'clerr', 'ncl', 'scalar02', 'scalarlg', 'quotbal', 'ltgtruri', 'lwsruri', 'lwsstart', 'trws',
  'escruri', 'baddate', 'regbadct', 'badaspec', 'baddn', 'badvers', 'mismatch01', 'mismatch02', 'bigcode',
  'insuf', 'multi01', 'mcl01',
]);
const dir = join(dirname(fileURLToPath(import.meta.url)), '../../test/fixtures/rfc4475');
const files = readdirSync(dir).filter((f) => f.endsWith('.dat')).sort();
let oursRight = 0;
let theirsRight = 0;
const theirsWrong: string[] = [];
for (const f of files) {
  const data = readFileSync(join(dir, f));
  const valid = !INVALID.has(f.replace(/\.dat$/, ''));
  if (parseMessage(data).ok === valid) oursRight++;
  let accepted: boolean;
  try {
    const m = sip.parse(data);
    // what the sip package's own transport checks before it takes a message (its checkMessage)
    const h = m?.headers;
    accepted = Boolean(m && (m.method || (m.status >= 100 && m.status <= 999)) && h && Array.isArray(h.via) &&
      h.via.length > 0 && h['call-id'] && h.to && h.from && h.cseq);
  } catch {
    accepted = false;
  }
  if (accepted === valid) theirsRight++;
  else theirsWrong.push(f);
}
console.log(`RFC 4475 torture messages right: portier ${oursRight}/${files.length}, npm sip ${theirsRight}/${files.length}`);
console.log(`npm sip gets wrong: ${theirsWrong.join(' ')}`);
