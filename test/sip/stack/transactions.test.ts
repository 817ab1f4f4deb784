import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../support/fake-clock.js';
import { DEFAULT_TIMERS, type TransactionEnv } from '../../../daemon/sip/transactions/common.js';
import { InviteClientTransaction } from '../../../daemon/sip/transactions/invite-client.js';
import { NonInviteClientTransaction } from '../../../daemon/sip/transactions/non-invite-client.js';
import { InviteServerTransaction } from '../../../daemon/sip/transactions/invite-server.js';
import { NonInviteServerTransaction } from '../../../daemon/sip/transactions/non-invite-server.js';
import type { SipMessage, SipResponse } from '../../../daemon/sip/types.js';
import { req, res } from './msg.js';

function env(clock: FakeClock, reliable = false) {
  const sent: { t: number; msg: SipMessage; re: boolean }[] = [];
  const e: TransactionEnv = { clock, timers: DEFAULT_TIMERS, reliable, send: (msg, re) => sent.push({ t: clock.now(), msg, re }) };
  return { e, sent };
}

function clientTu() {
  const log = { responses: [] as SipResponse[], timeouts: 0, terminated: 0, errors: 0 };
  return {
    log,
    tu: {
      onResponse: (r: SipResponse) => log.responses.push(r),
      onTimeout: () => log.timeouts++,
      onTransportError: () => log.errors++,
      onTerminated: () => log.terminated++,
    },
  };
}

describe('INVITE client transaction (RFC 3261 17.1.1)', () => {
  it('retransmits INVITE at T1, 2*T1, 4*T1 ... until timer B (64*T1) and reports a timeout', () => {
    const clock = new FakeClock();
    const { e, sent } = env(clock);
    const { tu, log } = clientTu();
    const tx = new InviteClientTransaction(req('INVITE'), e, tu);
    tx.start();
    clock.advance(40000);
    expect(sent.map((s) => s.t)).toEqual([0, 500, 1500, 3500, 7500, 15500, 31500]);
    expect(log.timeouts).toBe(1);
    expect(tx.state).toBe('terminated');
    expect(clock.now()).toBe(40000);
    expect(clock.pending).toBe(0);
  });

  it('sends no retransmissions on a reliable transport but still times out with timer B', () => {
    const clock = new FakeClock();
    const { e, sent } = env(clock, true);
    const { tu, log } = clientTu();
    new InviteClientTransaction(req('INVITE'), e, tu).start();
    clock.advance(31999);
    expect(log.timeouts).toBe(0);
    clock.advance(1);
    expect(sent).toHaveLength(1);
    expect(log.timeouts).toBe(1);
  });

  it('stops retransmitting on a provisional response and does not time out in Proceeding', () => {
    const clock = new FakeClock();
    const { e, sent } = env(clock);
    const { tu, log } = clientTu();
    const invite = req('INVITE');
    const tx = new InviteClientTransaction(invite, e, tu);
    tx.start();
    clock.advance(600);
    tx.receiveResponse(res(invite, 180, 'tt'));
    clock.advance(60000);
    expect(sent).toHaveLength(2);
    expect(tx.state).toBe('proceeding');
    expect(log.timeouts).toBe(0);
  });

  it('ACKs a non-2xx final response inside the transaction, re-ACKs retransmissions, ends after timer D', () => {
    const clock = new FakeClock();
    const { e, sent } = env(clock);
    const { tu, log } = clientTu();
    const invite = req('INVITE', 'z9hG4bK-inv', { headers: [{ name: 'Route', value: '<sip:p.example.com;lr>' }] });
    const tx = new InviteClientTransaction(invite, e, tu);
    tx.start();
    tx.receiveResponse(res(invite, 486, 'tt'));
    const ack = sent[1].msg;
    expect(ack.kind === 'request' && ack.method).toBe('ACK');
    if (ack.kind !== 'request') throw new Error();
    expect(ack.cseq).toEqual({ seq: 1, method: 'ACK' });
    expect(ack.to.params.tag).toBe('tt');
    expect(ack.via[0].params.branch).toBe('z9hG4bK-inv');
    expect(ack.headers).toEqual([{ name: 'Route', value: '<sip:p.example.com;lr>' }]);
    tx.receiveResponse(res(invite, 486, 'tt'));
    expect(sent).toHaveLength(3);
    expect(log.responses).toHaveLength(1);
    clock.advance(31999);
    expect(tx.state).toBe('completed');
    clock.advance(1);
    expect(tx.state).toBe('terminated');
  });

  it('passes every 2xx (retransmissions and forks) to the TU while Accepted, then ends after 64*T1', () => {
    const clock = new FakeClock();
    const { e } = env(clock);
    const { tu, log } = clientTu();
    const invite = req('INVITE');
    const tx = new InviteClientTransaction(invite, e, tu);
    tx.start();
    tx.receiveResponse(res(invite, 200, 'a'));
    tx.receiveResponse(res(invite, 200, 'a'));
    tx.receiveResponse(res(invite, 200, 'b'));
    expect(log.responses.map((r) => r.to.params.tag)).toEqual(['a', 'a', 'b']);
    clock.advance(32000);
    expect(tx.state).toBe('terminated');
  });
});

describe('non-INVITE client transaction (RFC 3261 17.1.2)', () => {
  it('retransmits at T1 doubling up to T2 and times out with timer F', () => {
    const clock = new FakeClock();
    const { e, sent } = env(clock);
    const { tu, log } = clientTu();
    new NonInviteClientTransaction(req('OPTIONS'), e, tu).start();
    clock.advance(32000);
    expect(sent.map((s) => s.t)).toEqual([0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500]);
    expect(log.timeouts).toBe(1);
  });

  it('retransmits every T2 in Proceeding', () => {
    const clock = new FakeClock();
    const { e, sent } = env(clock);
    const { tu } = clientTu();
    const r = req('REGISTER');
    const tx = new NonInviteClientTransaction(r, e, tu);
    tx.start();
    clock.advance(100);
    tx.receiveResponse(res(r, 100));
    clock.advance(9000);
    expect(sent.map((s) => s.t)).toEqual([0, 500, 4500, 8500]);
  });

  it('absorbs retransmitted finals in Completed and terminates after timer K = T4', () => {
    const clock = new FakeClock();
    const { e } = env(clock);
    const { tu, log } = clientTu();
    const r = req('BYE');
    const tx = new NonInviteClientTransaction(r, e, tu);
    tx.start();
    tx.receiveResponse(res(r, 200));
    tx.receiveResponse(res(r, 200));
    expect(log.responses).toHaveLength(1);
    clock.advance(4999);
    expect(tx.state).toBe('completed');
    clock.advance(1);
    expect(tx.state).toBe('terminated');
  });

  it('terminates immediately after a final response on a reliable transport (K = 0)', () => {
    const clock = new FakeClock();
    const { e } = env(clock, true);
    const { tu } = clientTu();
    const r = req('BYE');
    const tx = new NonInviteClientTransaction(r, e, tu);
    tx.start();
    tx.receiveResponse(res(r, 200));
    clock.advance(0);
    expect(tx.state).toBe('terminated');
  });

  it('reports a transport error to the TU and terminates', () => {
    const clock = new FakeClock();
    const { e } = env(clock);
    const { tu, log } = clientTu();
    const tx = new NonInviteClientTransaction(req('OPTIONS'), e, tu);
    tx.start();
    tx.transportError(new Error('x'));
    expect(log.errors).toBe(1);
    expect(tx.state).toBe('terminated');
    expect(clock.pending).toBe(0);
  });
});

describe('INVITE server transaction (RFC 3261 17.2.1)', () => {
  const trying = (r: ReturnType<typeof req>) => res(r, 100);

  it('sends 100 Trying after 200 ms when the TU has not answered', () => {
    const clock = new FakeClock();
    const { e, sent } = env(clock);
    const tx = new InviteServerTransaction(req('INVITE'), e, {}, trying);
    tx.start();
    clock.advance(199);
    expect(sent).toHaveLength(0);
    clock.advance(1);
    expect(sent.map((s) => (s.msg as SipResponse).status)).toEqual([100]);
  });

  it('sends no 100 Trying when the TU answered within 200 ms', () => {
    const clock = new FakeClock();
    const { e, sent } = env(clock);
    const invite = req('INVITE');
    const tx = new InviteServerTransaction(invite, e, {}, trying);
    tx.start();
    clock.advance(50);
    tx.respond(res(invite, 180, 'x'));
    clock.advance(500);
    expect(sent.map((s) => (s.msg as SipResponse).status)).toEqual([180]);
  });

  it('absorbs a retransmitted INVITE by resending the last response', () => {
    const clock = new FakeClock();
    const { e, sent } = env(clock);
    const invite = req('INVITE');
    const tx = new InviteServerTransaction(invite, e, {}, trying);
    tx.start();
    tx.respond(res(invite, 180, 'x'));
    tx.receiveRequest(invite);
    expect(sent.map((s) => [(s.msg as SipResponse).status, s.re])).toEqual([[180, false], [180, true]]);
  });

  it('retransmits a non-2xx final at T1 doubling to T2 (timer G) and gives up at timer H', () => {
    const clock = new FakeClock();
    const { e, sent } = env(clock);
    let timeouts = 0;
    const invite = req('INVITE');
    const tx = new InviteServerTransaction(invite, e, { onTimeout: () => timeouts++ }, trying);
    tx.start();
    tx.respond(res(invite, 486, 'x'));
    clock.advance(32000);
    expect(sent.map((s) => s.t)).toEqual([0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500]);
    expect(timeouts).toBe(1);
    expect(tx.state).toBe('terminated');
  });

  it('stops retransmitting on ACK, absorbs ACKs in Confirmed and ends after timer I = T4', () => {
    const clock = new FakeClock();
    const { e, sent } = env(clock);
    const invite = req('INVITE');
    const tx = new InviteServerTransaction(invite, e, {}, trying);
    tx.start();
    tx.respond(res(invite, 603, 'x'));
    clock.advance(600);
    tx.receiveRequest(req('ACK'));
    expect(tx.state).toBe('confirmed');
    tx.receiveRequest(req('ACK'));
    clock.advance(4999);
    expect(sent).toHaveLength(2);
    expect(tx.state).toBe('confirmed');
    clock.advance(1);
    expect(tx.state).toBe('terminated');
  });

  it('goes to Accepted on 2xx, absorbs INVITE retransmissions there, carries TU 2xx resends, ends after timer L', () => {
    const clock = new FakeClock();
    const { e, sent } = env(clock);
    const invite = req('INVITE');
    const tx = new InviteServerTransaction(invite, e, {}, trying);
    tx.start();
    const ok = res(invite, 200, 'x');
    tx.respond(ok);
    tx.receiveRequest(invite);
    expect(sent).toHaveLength(1);
    expect(tx.respond(ok)).toBe(true);
    expect(sent[1].re).toBe(true);
    expect(tx.respond(res(invite, 486, 'x'))).toBe(false);
    clock.advance(32000);
    expect(tx.state).toBe('terminated');
  });

  it('zeroes timer I on a reliable transport and sends no timer G retransmissions', () => {
    const clock = new FakeClock();
    const { e, sent } = env(clock, true);
    const invite = req('INVITE');
    const tx = new InviteServerTransaction(invite, e, {}, trying);
    tx.start();
    tx.respond(res(invite, 486, 'x'));
    clock.advance(10000);
    expect(sent).toHaveLength(1);
    tx.receiveRequest(req('ACK'));
    clock.advance(0);
    expect(tx.state).toBe('terminated');
  });
});

describe('non-INVITE server transaction (RFC 3261 17.2.2)', () => {
  it('discards retransmissions in Trying, resends the final in Completed, ends after timer J = 64*T1', () => {
    const clock = new FakeClock();
    const { e, sent } = env(clock);
    const r = req('OPTIONS');
    const tx = new NonInviteServerTransaction(r, e, {});
    tx.start();
    tx.receiveRequest(r);
    expect(sent).toHaveLength(0);
    tx.respond(res(r, 200, 'x'));
    tx.receiveRequest(r);
    expect(sent.map((s) => s.re)).toEqual([false, true]);
    clock.advance(31999);
    expect(tx.state).toBe('completed');
    clock.advance(1);
    expect(tx.state).toBe('terminated');
  });

  it('terminates at once after the final response on a reliable transport (J = 0)', () => {
    const clock = new FakeClock();
    const { e } = env(clock, true);
    const r = req('OPTIONS');
    const tx = new NonInviteServerTransaction(r, e, {});
    tx.respond(res(r, 200, 'x'));
    clock.advance(0);
    expect(tx.state).toBe('terminated');
  });

  it('refuses a second final response', () => {
    const clock = new FakeClock();
    const { e, sent } = env(clock);
    const r = req('OPTIONS');
    const tx = new NonInviteServerTransaction(r, e, {});
    expect(tx.respond(res(r, 200, 'x'))).toBe(true);
    expect(tx.respond(res(r, 500, 'x'))).toBe(false);
    expect(sent).toHaveLength(1);
  });
});
