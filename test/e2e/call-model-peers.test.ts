/**
 * Issue 12 with real peers on loopback: sipp plays the phone's signalling (scenarios in
 * test/fixtures/peers/sipp/*-reinvites.xml), the test owns the phone's RTP sockets. For a call the
 * door places (straight to sipp) and a call the PBX places (sipp through Kamailio with digest auth):
 * the door code keyed as SIP INFO opens the door; a hold re-INVITE is answered recvonly and the door
 * stops sending RTP (packets counted at the phone's socket); resume sends again, and the code keyed
 * as RFC 4733 with telephone-event renumbered to 96 opens the door; a re-INVITE moving the media
 * port: the door's audio arrives at the new port; an SDP-less re-INVITE gets an offer in the 200
 * (sipp checks it) and the answer in the ACK moves the audio back.
 */
import { createSocket, type Socket } from 'node:dgram';
import { describe, expect, test } from 'vitest';
import { digitToEventCode, serializeTelephoneEvent } from '../../daemon/media/dtmf.js';
import { serializeRtp } from '../../daemon/media/rtp-packet.js';
import { LabError, sippPorts, type SippRun } from '../support/peers/index.js';
import { waitFor } from '../support/daemon.js';
import { startDoorLab } from './door-lab.js';

/** A phone's RTP port the test owns: counts the door's packets, sends RFC 4733 digits back. */
class PhoneRtp {
  count = 0;
  door: { address: string; port: number } | undefined;
  private seq = 1;
  private ts = 8000;
  private constructor(
    readonly port: number,
    private readonly sock: Socket,
  ) {
    sock.on('message', (msg, rinfo) => {
      if (msg.length < 12 || (msg[0] & 0xc0) !== 0x80) return;
      const pt = msg[1] & 0x7f;
      if (pt >= 72 && pt <= 76) return; // RTCP on the RTP port
      this.count++;
      this.door = { address: rinfo.address, port: rinfo.port };
    });
  }
  static open(port: number): Promise<PhoneRtp> {
    return new Promise((resolve, reject) => {
      const s = createSocket('udp4');
      s.once('error', reject);
      s.bind(port, '127.0.0.1', () => resolve(new PhoneRtp(port, s)));
    });
  }
  /** key digits as RFC 4733 events with payload type `pt` (start, update, three end packets) */
  async key(digits: string, pt: number): Promise<void> {
    const to = this.door;
    if (!to) throw new Error(`no RTP from the door at ${this.port} yet`);
    for (const d of digits) {
      const event = digitToEventCode(d)!;
      const ts = (this.ts += 3200);
      for (const [i, p] of [
        [0, { end: false, duration: 160 }],
        [1, { end: false, duration: 640 }],
        [2, { end: true, duration: 960 }],
        [3, { end: true, duration: 960 }],
        [4, { end: true, duration: 960 }],
      ] as const) {
        const pkt = serializeRtp({ marker: i === 0, payloadType: pt, seq: this.seq++, timestamp: ts, ssrc: 0x5eed }, serializeTelephoneEvent({ event, volume: 10, ...p }));
        this.sock.send(pkt, to.port, to.address);
        await new Promise((r) => setTimeout(r, 20));
      }
      await new Promise((r) => setTimeout(r, 80));
    }
  }
  close(): void {
    this.sock.close();
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A lab on a random base; another test's ports in use -> another base. */
async function lab(phones: string[], call?: (base: number) => string[]) {
  for (let attempt = 0; ; attempt++) {
    const base = 33000 + 1000 * Math.floor(Math.random() * 27);
    try {
      const t = await startDoorLab({ basePort: base, phones, ...(call ? { call: call(base) } : {}), codecs: ['pcmu'], extra: '[panel]\nlisten = "127.0.0.1:0"\n' });
      const rtp1 = await PhoneRtp.open(base + 800);
      const rtp2 = await PhoneRtp.open(base + 802);
      return { t, base, rtp1, rtp2 };
    } catch (err) {
      const code = (err as LabError).code ?? (err as NodeJS.ErrnoException).code;
      if (attempt < 4 && (code === 'LAB_PORT_BUSY' || code === 'EADDRINUSE' || /already in use|EADDRINUSE/.test(String(err)))) continue;
      throw err;
    }
  }
}

type Env = Awaited<ReturnType<typeof lab>>;

async function doorOpens(e: Env): Promise<number> {
  return (await e.t.events(100)).filter((x) => x.type === 'door_open' && x.by === 'code').length;
}

/** The in-dialog sequence both scenarios play, checked from the phone's sockets and the door's status. */
async function checkSequence(e: Env, sipp: SippRun): Promise<void> {
  const { t, rtp1, rtp2 } = e;
  const call = async () => (await t.status()).calls[0];
  await waitFor('connected', async () => (await call())?.state === 'connected', 8000);
  await waitFor('door audio at the phone', () => rtp1.count > 10, 5000);
  // 1. the code as SIP INFO (application/dtmf-relay) opens the door
  await waitFor('door opened by the INFO code', async () => (await doorOpens(e)) === 1, 6000);
  // 2. hold: sipp checked the 200 says a=recvonly; the door stops sending
  await waitFor('call on hold', async () => (await call()).state === 'held', 6000);
  await sleep(200); // packets already on the wire
  const held = rtp1.count;
  await sleep(1500);
  expect(rtp1.count - held).toBe(0);
  expect((await call()).media_direction).toBe('recvonly');
  // 3. resume with telephone-event renumbered to 96: audio again, and the RFC 4733 code works
  await waitFor('resumed', async () => (await call()).state === 'connected', 6000);
  const resumed = rtp1.count;
  await waitFor('door audio after the resume', () => rtp1.count - resumed > 20, 3000);
  await rtp1.key('1234#', 96);
  await waitFor('door opened by the RFC 4733 code (PT 96) after the hold', async () => (await doorOpens(e)) === 2, 4000);
  // 4. the media moves to rtp2: the door's audio follows
  await waitFor('door audio at the new port', () => rtp2.count > 20, 6000);
  const old = rtp1.count;
  await sleep(500);
  expect(rtp1.count - old).toBeLessThanOrEqual(1);
  // 5. SDP-less re-INVITE: sipp checked the offer in the 200; the answer in its ACK names rtp1 again
  const back = rtp1.count;
  await waitFor('door audio back at the first port (answer from the ACK)', () => rtp1.count - back > 20, 6000);
  const r = await sipp.wait(20000);
  expect(r.ok, sipp.describe()).toBe(true);
  await waitFor('ended', async () => (await call()).state === 'ended', 5000);
  const hangup = (await t.events(100)).find((x) => x.type === 'hangup');
  expect(hangup).toMatchObject({ by: 'remote' });
}

describe('one call model with real peers (sipp + Kamailio)', () => {
  test('a call the door places: INFO code, hold (recvonly, no RTP), resume with PT 96 events, media move, SDP-less re-INVITE', async () => {
    // the button calls sipp directly (a full URI goes to its own host); sipp's port is the lab's first
    const e = await lab(['200'], (base) => [`sip:200@127.0.0.1:${sippPorts(base, 0).sip}`]);
    try {
      const sippPort = sippPorts(e.base, 0).sip;
      const sipp = await e.t.lab.startSipp({ scenario: 'uas-reinvites.xml', port: sippPort, keys: { rtp1: String(e.rtp1.port), rtp2: String(e.rtp2.port) }, timeoutS: 40 });
      await sipp.ready();
      expect((await e.t.api('/api/buttons/door/press', { method: 'POST' })).status).toBe(200);
      await checkSequence(e, sipp);
      expect((await e.t.status()).calls[0].direction).toBe('outgoing');
    } finally {
      e.rtp1.close();
      e.rtp2.close();
      await e.t.stop();
    }
  }, 90_000);

  test('a call the PBX places through Kamailio: the same INFO code, hold, resume, move and SDP-less re-INVITE', async () => {
    const e = await lab(['200']);
    try {
      const sipp = await e.t.lab.startSipp({
        scenario: 'uac-reinvites.xml',
        target: e.t.lab.registrar,
        service: 'door',
        auth: { user: '200', password: 'pw200' },
        keys: { caller: '200', rtp1: String(e.rtp1.port), rtp2: String(e.rtp2.port) },
        timeoutS: 40,
      });
      await checkSequence(e, sipp);
      expect((await e.t.status()).calls[0].direction).toBe('incoming');
    } finally {
      e.rtp1.close();
      e.rtp2.close();
      await e.t.stop();
    }
  }, 90_000);
});
