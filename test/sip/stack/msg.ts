import type { SipRequest, SipResponse } from '../../../daemon/sip/types.js';

/** Builds message objects for machine-level tests (no parser involved). */
export function req(method: string, branch = 'z9hG4bK-1', extra: Partial<SipRequest> = {}): SipRequest {
  return {
    kind: 'request',
    method,
    uri: { scheme: 'sip', user: 'bob', host: 'example.com', params: {}, headers: {} },
    version: 'SIP/2.0',
    via: [{ transport: 'UDP', host: '10.0.0.1', port: 5060, params: { branch } }],
    from: { uri: { scheme: 'sip', user: 'alice', host: 'example.com', params: {}, headers: {} }, params: { tag: 'ft' } },
    to: { uri: { scheme: 'sip', user: 'bob', host: 'example.com', params: {}, headers: {} }, params: {} },
    callId: 'call-1',
    cseq: { seq: 1, method },
    headers: [],
    body: new Uint8Array(0),
    ...extra,
  };
}

export function res(r: SipRequest, status: number, toTag?: string): SipResponse {
  return {
    kind: 'response',
    status,
    reason: String(status),
    version: 'SIP/2.0',
    via: r.via,
    from: r.from,
    to: toTag ? { ...r.to, params: { ...r.to.params, tag: toTag } } : r.to,
    callId: r.callId,
    cseq: r.cseq,
    headers: [],
    body: new Uint8Array(0),
  };
}
