/**
 * Offers and answers inside a dialog beyond the plain re-INVITE (RFC 3261 14, RFC 3311, RFC 3264 4):
 * an SDP-less re-INVITE is answered with our offer in the 200 and its ACK surfaces as 'answer';
 * UPDATE carries an offer (answered in its 200) or refreshes the session; an offer while ours is
 * outstanding gets 491.
 */
import { describe, expect, it } from 'vitest';
import type { IncomingCall } from '../../../daemon/sip/user-agent.js';
import { text } from '../../../daemon/sip/user-agent-core.js';
import type { Header, SipResponse } from '../../../daemon/sip/types.js';
import { run, SDP_A, SDP_B, world } from './harness.js';

type InDialog = { sendInDialog(method: string, opts?: { headers?: Header[]; body?: Uint8Array }): Promise<SipResponse | undefined> };

async function established() {
  const w = world();
  const door = w.make('10.0.0.10', { allowedSources: ['10.0.0.0/24'] });
  const flat = w.make('10.0.0.20', { user: 'flat', allowedSources: ['10.0.0.10'] });
  let callee: IncomingCall | undefined;
  flat.on('incoming', (c) => {
    callee = c;
    c.accept(SDP_B);
  });
  const call = door.invite('sip:flat@10.0.0.20', { sdp: SDP_A });
  await run(w.clock, 20);
  if (!callee) throw new Error('no call');
  return { w, call, callee, peer: callee as unknown as InDialog, door: call as unknown as InDialog };
}

describe('offers in a dialog', () => {
  it('an SDP-less re-INVITE: the 200 carries the offer the listener gave, the ACK comes back as "answer"', async () => {
    const { w, call, peer } = await established();
    const seen: string[] = [];
    call.on('reinvite', (r) => {
      seen.push(`${r.method}:${r.sdp === '' ? 'no offer' : 'offer'}`);
      r.answer(SDP_A + 'a=sendrecv\r\n');
    });
    const answers: string[] = [];
    call.on('answer', (a) => answers.push(a.sdp));
    const p = peer.sendInDialog('INVITE', { headers: [] });
    await run(w.clock, 20);
    const res = await p;
    expect(seen).toEqual(['INVITE:no offer']);
    expect(res?.status).toBe(200);
    expect(new TextDecoder().decode(res!.body)).toBe(SDP_A + 'a=sendrecv\r\n');
    // the ACK (here without an answer: the harness UA's own ACK) reaches the listener and stops the 2xx retransmissions
    expect(answers).toEqual(['']);
    const oks = w.net.find('SIP/2.0 200').length;
    await run(w.clock, 4000, 50);
    expect(w.net.find('SIP/2.0 200').length).toBe(oks);
  });

  it('an UPDATE with an offer is answered in its 200 through the same listener (RFC 3311 5.2)', async () => {
    const { w, call, peer } = await established();
    call.on('reinvite', (r) => r.answer(r.sdp.includes('sendonly') ? SDP_A + 'a=recvonly\r\n' : SDP_A));
    const p = peer.sendInDialog('UPDATE', { headers: [{ name: 'Content-Type', value: 'application/sdp' }], body: text(SDP_B + 'a=sendonly\r\n') });
    await run(w.clock, 20);
    const res = await p;
    expect(res?.status).toBe(200);
    expect(new TextDecoder().decode(res!.body)).toBe(SDP_A + 'a=recvonly\r\n');
    expect(call.remoteSdp).toBe(SDP_B + 'a=sendonly\r\n');
  });

  it('an UPDATE without a body is a session refresh: 200, no listener call', async () => {
    const { w, call, peer } = await established();
    let offers = 0;
    call.on('reinvite', () => offers++);
    const p = peer.sendInDialog('UPDATE');
    await run(w.clock, 20);
    expect((await p)?.status).toBe(200);
    expect(offers).toBe(0);
  });

  it('an UPDATE offer while our re-INVITE offer is outstanding gets 491 (RFC 3311 5.2)', async () => {
    const { w, call, callee, peer } = await established();
    // the callee holds its answer back, so our re-INVITE stays pending
    let later: (() => void) | undefined;
    callee.on('reinvite', (r) => (later = () => r.answer(SDP_B)));
    const ours = call.reinvite(SDP_A + 'a=sendonly\r\n');
    await run(w.clock, 5);
    const p = peer.sendInDialog('UPDATE', { headers: [{ name: 'Content-Type', value: 'application/sdp' }], body: text(SDP_B) });
    await run(w.clock, 20);
    expect((await p)?.status).toBe(491);
    later?.();
    await run(w.clock, 20);
    expect(await ours).toBe(SDP_B);
  });

  it('the in-dialog OPTIONS answer lists UPDATE in Allow', async () => {
    const { w, door } = await established();
    const p = door.sendInDialog('OPTIONS');
    await run(w.clock, 20);
    const allow = (await p)?.headers.find((h) => h.name === 'Allow')?.value ?? '';
    expect(allow).toContain('UPDATE');
    expect(allow).toContain('INFO');
  });
});
