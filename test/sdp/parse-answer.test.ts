import { describe, expect, it } from 'vitest';
import { createAnswer, createOffer, holdOffer, parseAnswer, type LocalOffer } from '../../daemon/sdp/index.js';
import { sdp } from './peer-sdp.js';

function offer(): LocalOffer {
  return createOffer({ codecs: ['g722', 'pcmu', 'opus'], address: '10.0.0.2', port: 40000, session: { id: '77', version: 1 } });
}

function answer(...media: string[]): string {
  return sdp('v=0', 'o=- 5 6 IN IP4 10.0.0.3', 's=-', 'c=IN IP4 10.0.0.3', 't=0 0', ...media);
}

describe('parseAnswer', () => {
  it('agrees with the answerer on codec, payload types and telephone-event (both sides of one exchange)', () => {
    const o = offer();
    const a = createAnswer(o.sdp, { codecs: ['pcmu', 'g722'], address: '10.0.0.3', port: 50000 });
    expect(a.ok).toBe(true);
    if (!a.ok) return;
    const r = parseAnswer(a.sdp, o);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.negotiated).toMatchObject({ codec: 'pcmu', payloadType: 0, clockRate: 8000, remoteAddress: '10.0.0.3', remotePort: 50000, direction: 'sendrecv' });
    expect(r.negotiated.telephoneEvent).toEqual(a.negotiated.telephoneEvent);
    expect(a.negotiated.remotePort).toBe(40000);
  });

  it('takes telephone-event/8000 with an Opus answer, but never an event clock rate we did not offer', () => {
    const opusOnly = createOffer({ codecs: ['opus'], address: '10.0.0.2', port: 40000, telephoneEvent: true });
    const ok = parseAnswer(answer('m=audio 5000 RTP/AVP 111 101', 'a=rtpmap:111 opus/48000/2', 'a=rtpmap:101 telephone-event/8000'), opusOnly);
    expect(ok.ok && ok.negotiated.telephoneEvent).toEqual({ payloadType: 101, clockRate: 8000 });
    const g722 = createOffer({ codecs: ['g722'], address: '10.0.0.2', port: 40000 });
    const bad = parseAnswer(answer('m=audio 5000 RTP/AVP 9 120', 'a=rtpmap:120 telephone-event/16000'), g722);
    expect(bad.ok && bad.negotiated.telephoneEvent).toBeUndefined();
  });

  it('sends with the first format of the answer that we offered', () => {
    const r = parseAnswer(answer('m=audio 5000 RTP/AVP 0 9 101', 'a=rtpmap:101 telephone-event/8000'), offer());
    expect(r.ok && r.negotiated.codec).toBe('pcmu');
    expect(r.ok && r.negotiated.telephoneEvent).toEqual({ payloadType: 101, clockRate: 8000 });
  });

  it('uses the answer\'s payload number when it remaps a dynamic codec, and notes it', () => {
    const r = parseAnswer(answer('m=audio 5000 RTP/AVP 96', 'a=rtpmap:96 opus/48000/2', 'a=fmtp:96 useinbandfec=1'), offer());
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.negotiated).toMatchObject({ codec: 'opus', payloadType: 96, clockRate: 48000 });
    expect(r.negotiated.notes.join(' ')).toMatch(/payload type 96/);
  });

  it('reports a rejected audio stream (port 0)', () => {
    const r = parseAnswer(answer('m=audio 0 RTP/AVP 0'), offer());
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.code).toBe('SDP_REJECTED');
  });

  it('refuses an answer whose m= lines do not match the offer', () => {
    const r = parseAnswer(answer('m=audio 5000 RTP/AVP 0', 'm=video 5002 RTP/AVP 96'), offer());
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.code).toBe('SDP_MISMATCH');
      expect(r.status).toBe(400);
    }
  });

  it('refuses an answer with a codec we did not offer', () => {
    const r = parseAnswer(answer('m=audio 5000 RTP/AVP 8'), offer());
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.code).toBe('SDP_NO_COMMON_CODEC');
  });

  it('works out our direction from the answer: recvonly lets us only send; an answer to our hold keeps us sending', () => {
    const r = parseAnswer(answer('m=audio 5000 RTP/AVP 0', 'a=recvonly'), offer());
    expect(r.ok && r.negotiated.direction).toBe('sendonly');
    const held = holdOffer(offer());
    const r2 = parseAnswer(answer('m=audio 5000 RTP/AVP 0', 'a=recvonly'), held);
    expect(r2.ok && r2.negotiated.direction).toBe('sendonly');
    const r3 = parseAnswer(answer('m=audio 5000 RTP/AVP 0', 'a=sendrecv'), held);
    expect(r3.ok && r3.negotiated.direction).toBe('sendonly');
  });

  it('returns a 400-class reason for garbage instead of throwing', () => {
    const r = parseAnswer('not sdp at all', offer());
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.status).toBe(400);
  });
});
