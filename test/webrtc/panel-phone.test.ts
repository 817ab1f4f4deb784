import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { TypedEmitter } from '../../daemon/util/events.js';
import type { PanelClient } from '../../daemon/panel/ws.js';
import type { BrowserPeer, BrowserPeerEvents } from '../../daemon/webrtc/browser-peer.js';
import { PanelPhone } from '../../daemon/webrtc/panel-phone.js';
import { FakeClock } from '../support/fake-clock.js';

function page(id: number, sessionKey: string | null = `s${id}`) {
  const got: Record<string, unknown>[] = [];
  const p: PanelClient = { id, sessionKey, send: (m) => void got.push(m as Record<string, unknown>) };
  return { p, got, events: () => got.map((m) => m.event) };
}

class FakePeer extends TypedEmitter<BrowserPeerEvents> {
  offer = 'v=0 fake offer';
  answers: string[] = [];
  closed = false;
  async accept(sdp: string) {
    this.answers.push(sdp);
  }
  close() {
    this.closed = true;
  }
  // the RtpTransport side, which the call's MediaSession uses
  rtpPort = 0;
  rtcpPort = 0;
  onRtp() {}
  onRtcp() {}
  sendRtp() {}
  sendRtcp() {}
}

function setup(pages: PanelClient[]) {
  const clock = new FakeClock();
  const peers: FakePeer[] = [];
  const phone = new PanelPhone({
    clock,
    log: pino({ level: 'silent' }),
    createPeer: async () => {
      const peer = new FakePeer();
      peers.push(peer);
      return peer as unknown as BrowserPeer;
    },
  });
  phone.attach(() => pages);
  const media = { clock, mediaClock: { onTick: () => () => {}, start() {}, stop() {} }, capture: { sampleRate: 16000, read: (n: number) => new Int16Array(n) }, playback: { sampleRate: 16000, write() {} }, rtpTimeoutMs: 4000 };
  const ended: string[] = [];
  const leg = phone.dial('c1', media);
  leg.events.on('answered', () => leg.session!.on('ended', (e) => void ended.push(e.reason)));
  const outcome: string[] = [];
  leg.events.on('answered', () => void outcome.push('answered'));
  leg.events.on('failed', (f) => void outcome.push(`failed ${f.status ?? ''} ${f.reason}`));
  return { phone, leg, peers, clock, outcome, ended };
}

const flush = () => new Promise((r) => setTimeout(r, 0));

describe('the browser phone (PanelPhone)', () => {
  it('rings every logged-in page, never an API-token client; the first Answer wins and the others stop', async () => {
    const a = page(1);
    const b = page(2);
    const bot = page(3, null);
    const { phone, leg, peers, outcome } = setup([a.p, b.p, bot.p]);
    expect(a.events()).toEqual(['ring']);
    expect(b.events()).toEqual(['ring']);
    expect(bot.events()).toEqual([]);
    phone.onMessage(bot.p, { type: 'phone', action: 'answer', call: 'c1' });
    await flush();
    expect(leg.state).toBe('ringing');
    phone.onMessage(b.p, { type: 'phone', action: 'answer', call: 'c1' });
    phone.onMessage(a.p, { type: 'phone', action: 'answer', call: 'c1' });
    await flush();
    expect(b.events()).toEqual(['ring', 'offer']);
    expect(a.events()).toEqual(['ring', 'stop', 'stop']); // stopped when b answered; its late Answer is told so again
    // an answer SDP from the page that did not answer is ignored
    phone.onMessage(a.p, { type: 'phone', action: 'sdp', call: 'c1', sdp: 'not mine' });
    phone.onMessage(b.p, { type: 'phone', action: 'sdp', call: 'c1', sdp: 'v=0 answer' });
    await flush();
    expect(peers[0].answers).toEqual(['v=0 answer']);
    expect(outcome).toEqual([]);
    peers[0].emit('connected', undefined);
    expect(outcome).toEqual(['answered']);
    expect(b.events()).toEqual(['ring', 'offer', 'connected']);
    leg.session?.close();
  });

  it('fails the leg when every page declines, or when no page is open', async () => {
    const a = page(1);
    const b = page(2);
    const s = setup([a.p, b.p]);
    s.phone.onMessage(a.p, { type: 'phone', action: 'decline', call: 'c1' });
    expect(s.outcome).toEqual([]);
    s.phone.onMessage(b.p, { type: 'phone', action: 'decline', call: 'c1' });
    expect(s.outcome).toEqual(['failed 603 declined in the panel']);
    const none = setup([]);
    await flush();
    expect(none.outcome).toEqual(['failed 480 every panel that rang was closed']);
  });

  it('a SIP phone answering elsewhere (cancel) stops the pages; a page closing mid-call ends it', async () => {
    const a = page(1);
    const s = setup([a.p]);
    s.leg.cancel();
    expect(a.events()).toEqual(['ring', 'stop']);
    expect(s.leg.state).toBe('ended');

    const b = page(2);
    const t = setup([b.p]);
    t.phone.onMessage(b.p, { type: 'phone', action: 'answer', call: 'c1' });
    await flush();
    t.peers[0].emit('connected', undefined);
    t.phone.onPageClosed(b.p);
    expect(t.ended).toEqual(['the panel was closed']);
    expect(t.peers[0].closed).toBe(true);
  });

  it('gives up when the answering page never sends its SDP', async () => {
    const a = page(1);
    const s = setup([a.p]);
    s.phone.onMessage(a.p, { type: 'phone', action: 'answer', call: 'c1' });
    await flush();
    s.clock.advance(15_000);
    expect(s.outcome).toEqual(['failed 408 the panel did not finish answering']);
    expect(s.peers[0].closed).toBe(true);
  });

  it('ignores junk: unknown calls, actions and oversized SDP', () => {
    const a = page(1);
    const s = setup([a.p]);
    s.phone.onMessage(a.p, { type: 'phone', action: 'answer', call: 'nope' });
    s.phone.onMessage(a.p, { type: 'phone', action: 'explode', call: 'c1' });
    s.phone.onMessage(a.p, { type: 'phone', action: 'sdp', call: 'c1', sdp: 'x'.repeat(20_000) });
    s.phone.onMessage(a.p, { type: 'other' });
    expect(s.leg.state).toBe('ringing');
    expect(a.events()).toEqual(['ring', 'stop']);
  });
});
