/**
 * Write a pcap of RTP G.711 packets (Ethernet/IPv4/UDP/RTP, 160-byte payloads every 20 ms)
 * for sipp's play_pcap_audio. sipp re-addresses the packets to the SDP peer, so the
 * addresses inside are placeholders.
 */
import { writeFileSync } from 'node:fs';

/** ITU-T G.711 mu-law encoding of one 16-bit sample. */
export function linearToUlaw(sample: number): number {
  const BIAS = 0x84;
  const CLIP = 32635;
  let s = Math.max(-32768, Math.min(32767, Math.round(sample)));
  const sign = s < 0 ? 0x80 : 0;
  if (s < 0) s = -s;
  if (s > CLIP) s = CLIP;
  s += BIAS;
  let exponent = 7;
  for (let mask = 0x4000; (s & mask) === 0 && exponent > 0; mask >>= 1) exponent--;
  const mantissa = (s >> (exponent + 3)) & 0x0f;
  return ~(sign | (exponent << 4) | mantissa) & 0xff;
}

/** ITU-T G.711 A-law encoding of one 16-bit sample. */
export function linearToAlaw(sample: number): number {
  let s = Math.max(-32768, Math.min(32767, Math.round(sample)));
  const sign = s >= 0 ? 0x80 : 0;
  if (s < 0) s = -s - 1;
  s >>= 3; // 13-bit magnitude
  let out: number;
  if (s < 32) {
    out = s >> 1;
  } else {
    let exponent = 1;
    while (s >= 64 && exponent < 7) {
      s >>= 1;
      exponent++;
    }
    out = (exponent << 4) | ((s >> 1) & 0x0f);
  }
  return (out | sign) ^ 0x55;
}

function ipChecksum(hdr: Buffer): number {
  let sum = 0;
  for (let i = 0; i < hdr.length; i += 2) sum += hdr.readUInt16BE(i);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

export interface TonePcapOptions {
  freq: number;
  seconds: number;
  codec?: 'pcmu' | 'pcma';
  /** 0..1 of full scale (default 0.5). */
  amplitude?: number;
  ssrc?: number;
}

/** Write the tone pcap to `path`; returns the number of RTP packets. */
export function writeTonePcap(path: string, o: TonePcapOptions): number {
  const codec = o.codec ?? 'pcmu';
  const pt = codec === 'pcmu' ? 0 : 8;
  const enc = codec === 'pcmu' ? linearToUlaw : linearToAlaw;
  const amp = (o.amplitude ?? 0.5) * 32767;
  const packets = Math.round((o.seconds * 1000) / 20);
  const chunks: Buffer[] = [];
  const global = Buffer.alloc(24);
  global.writeUInt32LE(0xa1b2c3d4, 0);
  global.writeUInt16LE(2, 4);
  global.writeUInt16LE(4, 6);
  global.writeUInt32LE(65535, 16); // snaplen
  global.writeUInt32LE(1, 20); // LINKTYPE_ETHERNET
  chunks.push(global);
  for (let n = 0; n < packets; n++) {
    const payload = Buffer.alloc(160);
    for (let i = 0; i < 160; i++) payload[i] = enc(amp * Math.sin((2 * Math.PI * o.freq * (n * 160 + i)) / 8000));
    const rtp = Buffer.alloc(12);
    rtp[0] = 0x80;
    rtp[1] = (n === 0 ? 0x80 : 0) | pt;
    rtp.writeUInt16BE(n & 0xffff, 2);
    rtp.writeUInt32BE((n * 160) >>> 0, 4);
    rtp.writeUInt32BE(o.ssrc ?? 0x504f5254, 8);
    const udpLen = 8 + 12 + 160;
    const udp = Buffer.alloc(8);
    udp.writeUInt16BE(40000, 0);
    udp.writeUInt16BE(40002, 2);
    udp.writeUInt16BE(udpLen, 4);
    const ip = Buffer.alloc(20);
    ip[0] = 0x45;
    ip.writeUInt16BE(20 + udpLen, 2);
    ip.writeUInt16BE(n & 0xffff, 4);
    ip[8] = 64; // TTL
    ip[9] = 17; // UDP
    Buffer.from([127, 0, 0, 1]).copy(ip, 12);
    Buffer.from([127, 0, 0, 1]).copy(ip, 16);
    ip.writeUInt16BE(ipChecksum(ip), 10);
    const eth = Buffer.alloc(14);
    eth.writeUInt16BE(0x0800, 12);
    const frame = Buffer.concat([eth, ip, udp, rtp, payload]);
    const rec = Buffer.alloc(16);
    const usTotal = n * 20000;
    rec.writeUInt32LE(Math.floor(usTotal / 1e6), 0);
    rec.writeUInt32LE(usTotal % 1e6, 4);
    rec.writeUInt32LE(frame.length, 8);
    rec.writeUInt32LE(frame.length, 12);
    chunks.push(rec, frame);
  }
  writeFileSync(path, Buffer.concat(chunks));
  return packets;
}
