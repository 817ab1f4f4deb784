/**
 * The intercom with a fake user agent and a fake clock: the same table of cases for a call the door
 * places (button -> phone) and a call the PBX places (phone -> door). Digits by RFC 4733 and by SIP
 * INFO, hold/resume (RFC 3264 8.4 / 6.1), a moved media port, renumbered telephone-event, SDP-less
 * re-INVITE (RFC 3261 14.2: our offer in the 200, the answer from the ACK), glare on offers.
 */
import { describe, expect, it } from 'vitest';
import { loadConfigText } from '../../config/load.js';
import type { Relay } from '../../hal/types.js';
import { Intercom } from '../../daemon/intercom/intercom.js';
import type { TickSource } from '../../daemon/media/media-session.js';
import { PortAllocator } from '../../daemon/media/rtp-socket.js';
import { parse } from 'sdp-transform';
import { FakeClock } from '../support/fake-clock.js';
import { FakeRtp, FakeUa, phoneSdp, type FakeIncomingCall, type FakeOutgoingCall } from './fake-ua.js';

const TOML = `
[sip]
registrar = "sip:10.0.0.1"
user = "door"
[intercom]
answer_delay_ms = 500
code_lockout_s = 30
[[buttons]]
id = "door"
call = ["200"]
[[relays]]
id = "door"
pulse_ms = 1500
[[doors]]
relay = "door"
codes = ["1234"]
`;

const flush = async () => {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
};

function harness(extra = '') {
  const r = loadConfigText(TOML + extra, { env: {} });
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  const clock = new FakeClock(1000);
  const ua = new FakeUa();
  const rtps: FakeRtp[] = [];
  let nextPort = 40000;
  const ticks = new Set<() => void>();
  const mediaClock: TickSource = {
    onTick: (fn) => {
      ticks.add(fn);
      return () => ticks.delete(fn);
    },
    start: () => undefined,
    stop: () => undefined,
  };
  const pulses: number[] = [];
  const relay = { id: 'door', pulse: (ms: number) => pulses.push(ms) } as unknown as Relay;
  const events: { type: string; [k: string]: unknown }[] = [];
  const hub = new Map<string, unknown>();
  const logs: string[] = [];
  let ids = 0;
  const intercom = new Intercom({
    config: r.config,
    ua,
    clock,
    media: {
      allocator: new PortAllocator('40000-40100'),
      bindAddress: '127.0.0.1',
      sdpAddress: '10.0.0.10',
      codecs: ['pcmu'],
      clock,
      mediaClock,
      rtpTimeoutMs: 0,
      openTransport: async () => {
        const t = new FakeRtp(nextPort);
        nextPort += 2;
        rtps.push(t);
        return t;
      },
    },
    audio: {
      capture: { sampleRate: 8000, read: (n: number) => new Int16Array(n).fill(3000) },
      playback: { sampleRate: 8000, write: () => undefined },
      startRingback: () => undefined,
      stopRingback: () => undefined,
      warn: () => undefined,
      stop: () => undefined,
    },
    relays: new Map([['door', relay]]),
    events: { append: (type, details = {}) => (events.push({ type, ...details }), { time: '', type, ...details }) as never },
    hub: { set: (s, v) => void hub.set(s, v) },
    log: { debug: () => undefined, info: (_o: object, m?: string) => void logs.push(`info ${m}`), warn: (_o: object, m?: string) => void logs.push(`warn ${m}`) },
    newCallId: () => `call${++ids}`,
  });
  const call = () => (hub.get('calls') as Record<string, unknown>[])[0];
  /** media clock ticks (20 ms each) */
  const tick = (n: number) => {
    for (let i = 0; i < n; i++) {
      for (const fn of [...ticks]) fn();
      clock.advance(20);
    }
  };
  return { clock, ua, rtps, pulses, events, hub, logs, intercom, call, tick };
}
type H = ReturnType<typeof harness>;

interface Established {
  call: FakeOutgoingCall | FakeIncomingCall;
  rtp: FakeRtp;
  /** the door's SDP for this call (its offer or its answer) */
  doorSdp: string;
}

const DIRECTIONS: { name: string; establish(h: H, sdp?: string): Promise<Established> }[] = [
  {
    name: 'a call the door placed (button -> phone)',
    async establish(h, sdp = phoneSdp()) {
      h.intercom.press('door', 'test');
      await flush();
      const c = h.ua.calls[0];
      c.ring();
      expect(h.call().state).toBe('ringing');
      c.answer(sdp);
      await flush();
      return { call: c, rtp: h.rtps[0], doorSdp: c.sdp };
    },
  },
  {
    name: 'a call the PBX placed (phone -> door)',
    async establish(h, sdp = phoneSdp()) {
      const c = h.ua.call(sdp);
      expect(c.rang).toBe(true);
      expect(h.call().state).toBe('ringing');
      h.clock.advance(500); // answer_delay_ms
      await flush();
      c.confirm();
      return { call: c, rtp: h.rtps[0], doorSdp: c.accepted! };
    },
  },
];

const audioOf = (sdp: string) => parse(sdp).media[0];
const key = (rtp: FakeRtp, digits: string, pt = 101, port = 30000) => {
  for (const d of digits) rtp.keyDigit(d, pt, { address: '10.0.0.20', port });
};

for (const dir of DIRECTIONS) {
  describe(dir.name, () => {
    it('answers, carries audio, opens the door on an RFC 4733 code and logs the hang-up', async () => {
      const h = harness();
      const { call, rtp } = await dir.establish(h);
      expect(h.call().state).toBe('connected');
      h.tick(10);
      expect(rtp.sentTo(30000)).toBeGreaterThanOrEqual(9);
      key(rtp, '1234#');
      expect(h.pulses).toEqual([1500]);
      expect(h.events.find((e) => e.type === 'door_open')).toMatchObject({ relay: 'door', by: 'code', call: 'call1' });
      call.remoteBye();
      expect(h.call().state).toBe('ended');
      expect(h.events.find((e) => e.type === 'hangup')).toMatchObject({ call: 'call1', by: 'remote' });
      expect(rtp.closed).toBe(true);
    });

    for (const [type, body] of [
      ['application/dtmf-relay', (d: string) => `Signal=${d}\r\nDuration=160\r\n`],
      ['application/dtmf', (d: string) => d],
    ] as const) {
      it(`opens the door on a code keyed as SIP INFO ${type}`, async () => {
        const h = harness();
        const { call } = await dir.establish(h);
        for (const d of '1234#') call.info(type, body(d));
        expect(h.pulses).toEqual([1500]);
      });
    }

    it('a wrong INFO code does not open the door and is logged as a failed code', async () => {
      const h = harness();
      const { call } = await dir.establish(h);
      for (const d of '9999#') call.info('application/dtmf-relay', `Signal=${d}\r\n`);
      expect(h.pulses).toEqual([]);
      expect(h.events.find((e) => e.type === 'code_failed')).toMatchObject({ failures: 1 });
    });

    it('hold (a=sendonly) is answered a=recvonly and the door stops sending; resume sends again', async () => {
      const h = harness();
      const { call, rtp } = await dir.establish(h);
      h.tick(5);
      const hold = call.reoffer(phoneSdp({ dir: 'sendonly', version: 2 }));
      expect(audioOf(hold.answer!).direction).toBe('recvonly');
      expect(h.call().state).toBe('held');
      const before = rtp.sentTo(30000);
      h.tick(50);
      expect(rtp.sentTo(30000)).toBe(before);
      const resume = call.reoffer(phoneSdp({ version: 3 }));
      expect(audioOf(resume.answer!).direction).toBe('sendrecv');
      expect(h.call().state).toBe('connected');
      h.tick(10);
      expect(rtp.sentTo(30000)).toBeGreaterThanOrEqual(before + 9);
    });

    it('an inactive hold is answered inactive and nothing is sent', async () => {
      const h = harness();
      const { call, rtp } = await dir.establish(h);
      const hold = call.reoffer(phoneSdp({ dir: 'inactive', version: 2 }));
      expect(audioOf(hold.answer!).direction).toBe('inactive');
      const before = rtp.sent.length;
      h.tick(20);
      expect(rtp.sent.length).toBe(before);
    });

    it('a re-INVITE that moves the media port: the door sends to the new port', async () => {
      const h = harness();
      const { call, rtp } = await dir.establish(h);
      h.tick(5);
      const moved = call.reoffer(phoneSdp({ port: 31000, version: 2 }));
      expect(moved.answer).toBeDefined();
      const old = rtp.sentTo(30000);
      h.tick(10);
      expect(rtp.sentTo(30000)).toBe(old);
      expect(rtp.sentTo(31000)).toBeGreaterThanOrEqual(9);
    });

    it('an UPDATE that moves the media address is followed too', async () => {
      const h = harness();
      const { call, rtp } = await dir.establish(h);
      const r = call.reoffer(phoneSdp({ address: '10.0.0.21', version: 2 }), 'UPDATE');
      expect(r.answer).toBeDefined();
      h.tick(10);
      expect(rtp.sent.filter((p) => p.to.address === '10.0.0.21').length).toBeGreaterThanOrEqual(9);
    });

    it('after hold, a resume that renumbers telephone-event (96 instead of 101) still decodes the code', async () => {
      const h = harness();
      const { call, rtp } = await dir.establish(h);
      call.reoffer(phoneSdp({ dir: 'sendonly', version: 2 }));
      const resume = call.reoffer(phoneSdp({ tePt: 96, version: 3 }));
      expect(audioOf(resume.answer!).rtp.find((r) => r.codec === 'telephone-event')?.payload).toBe(96);
      key(rtp, '1234#', 96);
      expect(h.pulses).toEqual([1500]);
    });

    it('an SDP-less re-INVITE gets our offer in the 200 and the answer from the ACK takes effect', async () => {
      const h = harness();
      const { call, rtp, doorSdp } = await dir.establish(h);
      const r = call.reoffer('');
      const offer = r.answer!;
      const m = audioOf(offer);
      expect(m.direction).toBe('sendrecv');
      expect(m.port).toBe(rtp.rtpPort);
      // RFC 3264 8: same o= session, a higher version
      expect(parse(offer).origin!.sessionId).toBe(parse(doorSdp).origin!.sessionId);
      expect(Number(parse(offer).origin!.sessionVersion)).toBeGreaterThan(Number(parse(doorSdp).origin!.sessionVersion));
      call.ack(phoneSdp({ port: 32000, tePt: 98, version: 2 }));
      h.tick(10);
      expect(rtp.sentTo(32000)).toBeGreaterThanOrEqual(9);
      key(rtp, '1234#', 98, 32000);
      expect(h.pulses).toEqual([1500]);
    });

    it('an SDP-less re-INVITE whose ACK carries no answer keeps the media as it was', async () => {
      const h = harness();
      const { call, rtp } = await dir.establish(h);
      call.reoffer('');
      call.ack('');
      h.tick(10);
      expect(rtp.sentTo(30000)).toBeGreaterThanOrEqual(9);
      expect(h.call().state).toBe('connected');
    });

    it('an offer the door cannot take (no common codec) gets 488 and the call goes on unchanged', async () => {
      const h = harness();
      const { call, rtp } = await dir.establish(h);
      const r = call.reoffer(phoneSdp().replace(/RTP\/AVP 0 101/, 'RTP/AVP 18 101').replace('a=rtpmap:0 PCMU/8000', 'a=rtpmap:18 G729/8000'));
      expect(r.rejected).toBe(488);
      h.tick(10);
      expect(rtp.sentTo(30000)).toBeGreaterThanOrEqual(9);
    });

    it('the door hangs up through the API: the session ends and the hang-up is logged by local', async () => {
      const h = harness();
      const { call } = await dir.establish(h);
      expect(h.intercom.hangup('hung up through the API')).toBe(true);
      expect(h.call().state).toBe('ended');
      expect('hungUp' in call ? call.hungUp : call.byes).toBe(1);
      expect(h.events.find((e) => e.type === 'hangup')).toMatchObject({ by: 'local', reason: 'hung up through the API' });
    });
  });
}

describe('outgoing and incoming specifics', () => {
  it('a press while another call is up is refused by policy; an incoming call while busy gets 486', async () => {
    const h = harness();
    await DIRECTIONS[0].establish(h);
    const second = h.ua.call(phoneSdp());
    expect(second.rejected).toBe(486);
    expect(h.events.find((e) => e.type === 'rejected_call')).toMatchObject({ status: 486 });
  });

  it('an incoming INVITE without SDP gets our offer in the 200 and takes the answer from the ACK', async () => {
    const h = harness();
    const c = h.ua.call('');
    h.clock.advance(500);
    await flush();
    const offer = c.accepted!;
    expect(audioOf(offer).direction).toBe('sendrecv');
    c.confirm(phoneSdp({ port: 33000 }));
    expect(h.call().state).toBe('connected');
    h.tick(10);
    expect(h.rtps[0].sentTo(33000)).toBeGreaterThanOrEqual(9);
  });

  it('a ringing outgoing call that nobody answers fails after the ring timeout and is logged', async () => {
    const h = harness();
    h.intercom.press('door', 'test');
    await flush();
    h.ua.calls[0].ring();
    h.clock.advance(60_000);
    expect(h.call().state).toBe('ended');
    expect(h.events.find((e) => e.type === 'call_failed')).toBeDefined();
    expect(h.ua.calls[0].hungUp).toBe(1);
  });

  it('INFO digits before the answer (early dialog) are not taken as a code', async () => {
    const h = harness();
    h.intercom.press('door', 'test');
    await flush();
    for (const d of '1234#') h.ua.calls[0].info('application/dtmf-relay', `Signal=${d}\r\n`);
    expect(h.pulses).toEqual([]);
  });
});
