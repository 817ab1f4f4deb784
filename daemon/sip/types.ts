/**
 * The SIP message model shared by the parser, the serializer, transactions, dialogs and the UA.
 *
 * The headers every transaction needs (Via, From, To, Call-ID, CSeq) are parsed into typed fields
 * and are the source of truth for them; every other header is kept in `headers`, in wire order,
 * under its canonical long name (compact forms expanded), with its raw value. The serializer
 * writes the typed fields first, then `headers`, then computes Content-Length from `body`.
 */

export type Params = Record<string, string | null>;

export interface SipUri {
  /**
   * lower-cased. Other absolute-URI schemes (RFC 4475 3.3.2-3.3.4: "isbn:", "http:", ...) parse
   * too, with host '' and the rest in `opaque`, so a UA can answer 416 instead of failing.
   */
  scheme: 'sip' | 'sips' | 'tel' | (string & {});
  /** for schemes other than sip/sips/tel: everything after "scheme:" as on the wire */
  opaque?: string;
  /** userinfo user part, as on the wire (escapes kept); for tel: the number. */
  user?: string;
  password?: string;
  /** host name, IPv4 address or IPv6 reference with brackets ("[::1]"); empty for tel: */
  host: string;
  port?: number;
  /** uri-parameters; names lower-cased; a flag parameter ("lr") has value null */
  params: Params;
  /** ?headers of the URI, as on the wire */
  headers: Record<string, string>;
}

export interface NameAddr {
  displayName?: string;
  uri: SipUri;
  /** header parameters (tag, expires, q, ...); names lower-cased */
  params: Params;
}

export interface Via {
  /** "UDP", "TCP", "TLS", "WS", ... upper-cased */
  transport: string;
  host: string;
  port?: number;
  /** branch, received, rport (null when present without a value), maddr, ttl ... */
  params: Params;
}

export interface CSeq {
  seq: number;
  method: string;
}

export interface Header {
  /** canonical name, e.g. "Contact", "Content-Type", "Record-Route" */
  name: string;
  value: string;
}

interface MessageBase {
  version: string; // "SIP/2.0"
  via: Via[];
  from: NameAddr;
  to: NameAddr;
  callId: string;
  cseq: CSeq;
  /** all other headers, in order; Content-Length is not kept here (derived from body) */
  headers: Header[];
  body: Uint8Array;
}

export interface SipRequest extends MessageBase {
  kind: 'request';
  method: string;
  uri: SipUri;
}

export interface SipResponse extends MessageBase {
  kind: 'response';
  status: number;
  reason: string;
}

export type SipMessage = SipRequest | SipResponse;

/** Where a message came from or goes to. */
export interface Endpoint {
  transport: 'udp' | 'tcp' | 'tls';
  address: string; // IP address literal, no brackets
  port: number;
}

export type ParseResult =
  | { ok: true; message: SipMessage }
  | {
      ok: false;
      /** a sentence naming what is wrong */
      reason: string;
      /** the status a UA should answer with when the message was a request it could identify */
      status?: number;
      /**
       * the header fields (canonical names, raw values) when the header section could be split,
       * so a caller can still answer statelessly (see buildRejectResponse in message-helpers.ts)
       */
      headers?: Header[];
    };
