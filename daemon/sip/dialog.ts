import { formatNameAddr, parseNameAddr, splitList } from './name-addr.js';
import type { Header, NameAddr, SipMessage, SipRequest, SipResponse, SipUri } from './types.js';

/**
 * A dialog, RFC 3261 12: identified by Call-ID + local tag + remote tag; holds the route set,
 * remote target and both CSeq spaces, and builds in-dialog requests (12.2.1.1).
 */
export type DialogState = 'early' | 'confirmed' | 'terminated';

const ALLOWED: Record<DialogState, DialogState[]> = {
  early: ['confirmed', 'terminated'],
  confirmed: ['terminated'],
  terminated: [],
};

export interface DialogInit {
  callId: string;
  localTag: string;
  remoteTag: string;
  local: NameAddr;
  remote: NameAddr;
  remoteTarget: SipUri;
  routeSet: NameAddr[];
  localSeq: number;
  remoteSeq?: number;
  /** our Contact header value for requests we send in the dialog */
  localContact: string;
  role: 'uac' | 'uas';
  state: DialogState;
}

export function headerValues(msg: SipMessage, name: string): string[] {
  const out: string[] = [];
  for (const h of msg.headers) if (h.name === name) out.push(...splitList(h.value));
  return out.map((v) => v.trim()).filter((v) => v.length > 0);
}

export function firstHeader(msg: SipMessage, name: string): string | undefined {
  return msg.headers.find((h) => h.name === name)?.value;
}

function parseAll(values: string[]): NameAddr[] | undefined {
  const out: NameAddr[] = [];
  for (const v of values) {
    const r = parseNameAddr(v);
    if (!r.ok) return undefined;
    out.push(r.value);
  }
  return out;
}

/** The first Contact URI of a message, or undefined (RFC 3261 12.1.1 / 12.1.2 remote target). */
export function contactUri(msg: SipMessage): SipUri | undefined {
  const v = headerValues(msg, 'Contact')[0];
  if (!v) return undefined;
  const r = parseNameAddr(v);
  return r.ok ? r.value.uri : undefined;
}

export function dialogKey(callId: string, localTag: string, remoteTag: string): string {
  return `${callId}|${localTag}|${remoteTag}`;
}

export class Dialog {
  state: DialogState;
  readonly callId: string;
  readonly localTag: string;
  remoteTag: string;
  readonly local: NameAddr;
  readonly remote: NameAddr;
  remoteTarget: SipUri;
  routeSet: NameAddr[];
  localSeq: number;
  remoteSeq: number | undefined;
  readonly localContact: string;
  readonly role: 'uac' | 'uas';

  constructor(init: DialogInit) {
    this.state = init.state;
    this.callId = init.callId;
    this.localTag = init.localTag;
    this.remoteTag = init.remoteTag;
    this.local = init.local;
    this.remote = init.remote;
    this.remoteTarget = init.remoteTarget;
    this.routeSet = init.routeSet;
    this.localSeq = init.localSeq;
    this.remoteSeq = init.remoteSeq;
    this.localContact = init.localContact;
    this.role = init.role;
  }

  get key(): string {
    return dialogKey(this.callId, this.localTag, this.remoteTag);
  }

  /**
   * RFC 3261 12.1.2: the UAC side, from a 2xx or a 101-199 with a To tag. Route set = the
   * Record-Route values in reverse order; remote target = the Contact; local CSeq = the request's.
   * Returns undefined when the response cannot establish a dialog.
   */
  static asUac(request: SipRequest, response: SipResponse): Dialog | undefined {
    const remoteTag = response.to.params.tag;
    const localTag = request.from.params.tag;
    if (!remoteTag || !localTag) return undefined;
    const routes = parseAll(headerValues(response, 'Record-Route'));
    const target = contactUri(response);
    if (!routes || !target) return undefined;
    return new Dialog({
      callId: request.callId,
      localTag,
      remoteTag,
      local: request.from,
      remote: response.to,
      remoteTarget: target,
      routeSet: routes.reverse(),
      localSeq: request.cseq.seq,
      localContact: firstHeader(request, 'Contact') ?? '',
      role: 'uac',
      state: response.status >= 200 ? 'confirmed' : 'early',
    });
  }

  /**
   * RFC 3261 12.1.1: the UAS side, from the request and the To tag we answer with. Route set =
   * Record-Route in order; remote target = the request's Contact; remote CSeq = the request's.
   */
  static asUas(request: SipRequest, localTag: string, localContact: string, confirmed = false, random: () => number = Math.random): Dialog | undefined {
    const remoteTag = request.from.params.tag ?? '';
    const routes = parseAll(headerValues(request, 'Record-Route'));
    const target = contactUri(request);
    if (!routes || !target) return undefined;
    return new Dialog({
      callId: request.callId,
      localTag,
      remoteTag,
      local: { ...request.to, params: { ...request.to.params, tag: localTag } },
      remote: request.from,
      remoteTarget: target,
      routeSet: routes,
      // RFC 3261 12.1.1: the local sequence number starts anywhere (random, injected)
      localSeq: Math.floor(random() * 10000) + 1,
      remoteSeq: request.cseq.seq,
      localContact,
      role: 'uas',
      state: confirmed ? 'confirmed' : 'early',
    });
  }

  transition(to: DialogState): boolean {
    if (!ALLOWED[this.state].includes(to)) return false;
    // RFC 3261 12.1: early -> confirmed on a 2xx; any -> terminated on BYE, a non-2xx final or timeout.
    this.state = to;
    return true;
  }

  /** RFC 3261 12.2.1.2: a 2xx to a target refresh request (re-INVITE) updates the remote target. */
  refreshTarget(msg: SipMessage): void {
    const t = contactUri(msg);
    if (t) this.remoteTarget = t;
  }

  /**
   * RFC 3261 12.2.2: requests within a dialog must carry a CSeq higher than the last one; a lower
   * one is out of order -> 500. ACK and CANCEL carry the INVITE's number and are not checked.
   */
  checkRemoteSeq(req: SipRequest): { ok: true } | { ok: false; status: 500; reason: string } {
    if (req.method === 'ACK' || req.method === 'CANCEL') return { ok: true };
    if (this.remoteSeq !== undefined && req.cseq.seq <= this.remoteSeq) {
      return { ok: false, status: 500, reason: 'CSeq out of order' };
    }
    this.remoteSeq = req.cseq.seq;
    return { ok: true };
  }

  /**
   * RFC 3261 12.2.1.1: a request within the dialog. With an empty route set or a loose-routing
   * first hop (";lr") the Request-URI is the remote target and Route carries the route set; with a
   * strict router the first hop becomes the Request-URI and the remote target goes last in Route.
   * `nextHop` is where to send it (first Route or the Request-URI), RFC 3261 8.1.2.
   * ACK and CANCEL reuse a CSeq number (pass `seq`); every other request increments ours.
   */
  createRequest(method: string, opts: { seq?: number; headers?: Header[]; body?: Uint8Array } = {}): { request: SipRequest; nextHop: SipUri } {
    let seq: number;
    if (opts.seq !== undefined) seq = opts.seq;
    else seq = ++this.localSeq;
    let uri = this.remoteTarget;
    const routeHeaders: Header[] = [];
    let nextHop = this.remoteTarget;
    const first = this.routeSet[0];
    if (first && !('lr' in first.uri.params)) {
      // strict routing (RFC 3261 12.2.1.1, RFC 2543 proxies)
      const { params: _p, headers: _h, ...rest } = first.uri;
      uri = { ...rest, params: { ...first.uri.params }, headers: {} };
      for (const r of this.routeSet.slice(1)) routeHeaders.push({ name: 'Route', value: formatNameAddr(r) });
      routeHeaders.push({ name: 'Route', value: `<${formatUriSafe(this.remoteTarget)}>` });
      nextHop = uri;
    } else {
      for (const r of this.routeSet) routeHeaders.push({ name: 'Route', value: formatNameAddr(r) });
      if (first) nextHop = first.uri;
    }
    const headers: Header[] = [...routeHeaders, { name: 'Max-Forwards', value: '70' }];
    if (this.localContact && method !== 'ACK' && method !== 'CANCEL' && method !== 'BYE') {
      headers.push({ name: 'Contact', value: this.localContact });
    }
    headers.push(...(opts.headers ?? []));
    const request: SipRequest = {
      kind: 'request',
      method,
      uri,
      version: 'SIP/2.0',
      via: [],
      from: { ...this.local, params: { ...this.local.params, tag: this.localTag } },
      to: { ...this.remote, params: { ...this.remote.params, tag: this.remoteTag } },
      callId: this.callId,
      cseq: { seq, method },
      headers,
      body: opts.body ?? new Uint8Array(0),
    };
    return { request, nextHop };
  }
}

function formatUriSafe(u: SipUri): string {
  return formatNameAddr({ uri: u, params: {} }).slice(1, -1);
}
