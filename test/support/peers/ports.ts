/**
 * Port layout of one lab, derived from the test's base port (field guide layout):
 *   kamailio           BASE (udp+tcp)
 *   phone i (0-based)  P = BASE + 20*(i+1): SIP P (udp+tcp), TLS P+1, ctrl_tcp P+2, RTP P+10..P+19
 *   sipp j (0-based)   S = BASE + 500 + 10*j: SIP S, media S+2.. (sipp uses mp, mp+2 for audio)
 *   free for the test  BASE + 900 .. BASE + 999 (e.g. the device under test)
 */
import { run, LabError } from './proc.js';

export const MAX_PHONES = 20;
export const MAX_SIPPS = 40;

export interface PhonePorts {
  sip: number;
  tls: number;
  ctrl: number;
  rtpMin: number;
  rtpMax: number;
}

export interface SippPorts {
  sip: number;
  media: number;
}

export function kamailioPort(base: number): number {
  return base;
}

export function phonePorts(base: number, index: number): PhonePorts {
  if (index < 0 || index >= MAX_PHONES) throw new LabError('LAB_PORTS', `phone index ${index} outside 0..${MAX_PHONES - 1}`);
  const p = base + 20 * (index + 1);
  return { sip: p, tls: p + 1, ctrl: p + 2, rtpMin: p + 10, rtpMax: p + 19 };
}

export function sippPorts(base: number, index: number): SippPorts {
  if (index < 0 || index >= MAX_SIPPS) throw new LabError('LAB_PORTS', `sipp index ${index} outside 0..${MAX_SIPPS - 1}`);
  const s = base + 500 + 10 * index;
  return { sip: s, media: s + 2 };
}

/** Ports reserved for the device under test (and anything else the test runs itself). */
export function freePorts(base: number): { first: number; last: number } {
  return { first: base + 900, last: base + 999 };
}

/** Ports among `ports` that something is listening on or bound to (udp or tcp), per `ss -Hlntu`. */
export async function busyPorts(ports: number[]): Promise<number[]> {
  if (ports.length === 0) return [];
  const r = await run('ss', ['-Hlntu'], { timeoutMs: 3000 });
  if (r.code !== 0) throw new LabError('LAB_PORTS', `ss -Hlntu failed: ${r.stderr.trim()}`);
  const used = new Set<number>();
  for (const line of r.stdout.split('\n')) {
    const cols = line.trim().split(/\s+/);
    const local = cols[4];
    if (!local) continue;
    const m = /:(\d+)$/.exec(local);
    if (m) used.add(Number(m[1]));
  }
  return ports.filter((p) => used.has(p));
}

export async function assertPortsFree(ports: number[], who: string): Promise<void> {
  const busy = await busyPorts(ports);
  if (busy.length > 0) {
    throw new LabError('LAB_PORT_BUSY', `${who}: port(s) ${busy.join(', ')} already in use (pick another basePort)`);
  }
}

export function range(from: number, to: number): number[] {
  const out: number[] = [];
  for (let p = from; p <= to; p++) out.push(p);
  return out;
}
