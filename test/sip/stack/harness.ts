import { createHash } from 'node:crypto';
import { parseMessage } from '../../../daemon/sip/parser.js';
import { serializeMessage } from '../../../daemon/sip/serializer.js';
import type { Header, SipRequest } from '../../../daemon/sip/types.js';
import { parseCredentials } from '../../../daemon/sip/digest.js';
import { buildResponse } from '../../../daemon/sip/user-agent-core.js';
import { UserAgent, type UserAgentConfig } from '../../../daemon/sip/user-agent.js';
import { FakeClock } from '../../support/fake-clock.js';
import { FakeNetwork, type FakeTransport } from '../../support/fake-transport.js';

export const REGISTRAR_IP = '10.0.0.1';
export const SDP_A = 'v=0\r\no=a 1 1 IN IP4 10.0.0.10\r\ns=-\r\nc=IN IP4 10.0.0.10\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n';
export const SDP_B = 'v=0\r\no=b 1 1 IN IP4 10.0.0.20\r\ns=-\r\nc=IN IP4 10.0.0.20\r\nt=0 0\r\nm=audio 5000 RTP/AVP 0\r\n';

const md5 = (s: string) => createHash('md5').update(s).digest('hex');

/** A tiny registrar with digest auth, built from the same message helpers (test only). */
export class FakeRegistrar {
  readonly transport: FakeTransport;
  readonly bindings = new Map<string, { contact: string; expires: number }>();
  users: Record<string, string> = { door: 'secret', flat: 'pw2' };
  nonce = 'n1';
  /** answer 423 with this Min-Expires when a smaller expires is asked for */
  minExpires = 0;
  /** max expires granted */
  maxExpires = 3600;
  /** answer with a stale=true challenge once when the nonce is this */
  staleNonce: string | undefined;
  /** stop answering (PBX down) */
  down = false;
  /** answer every REGISTER with this status instead */
  forceStatus: number | undefined;
  readonly requests: SipRequest[] = [];

  constructor(net: FakeNetwork, readonly realm = 'pbx') {
    this.transport = net.transport(REGISTRAR_IP, 5060);
    this.transport.onMessage((m) => {
      if (this.down) return;
      const p = parseMessage(m.data);
      if (!p.ok || p.message.kind !== 'request') return;
      const req = p.message;
      this.requests.push(req);
      const res = this.handle(req);
      if (res) void this.transport.send(m.source, serializeMessage(res));
    });
  }

  private handle(req: SipRequest) {
    if (req.method === 'ACK') return undefined;
    if (req.method !== 'REGISTER') return buildResponse(req, 200, { toTag: 'reg' });
    if (this.forceStatus) return buildResponse(req, this.forceStatus, { toTag: 'reg' });
    const auth = req.headers.find((h) => h.name === 'Authorization');
    const challenge = (stale = false): Header => ({
      name: 'WWW-Authenticate',
      value: `Digest realm="${this.realm}", nonce="${this.nonce}", qop="auth", algorithm=MD5${stale ? ', stale=true' : ''}`,
    });
    if (!auth) return buildResponse(req, 401, { toTag: 'reg', headers: [challenge()] });
    const parsed = parseCredentials(auth.value);
    const c: Partial<Record<'username' | 'nonce' | 'uri' | 'response' | 'nc' | 'cnonce', string>> = parsed.ok ? parsed.value : {};
    const pw = this.users[c.username ?? ''];
    if (c.nonce !== this.nonce) {
      return buildResponse(req, 401, { toTag: 'reg', headers: [challenge(c.nonce === this.staleNonce)] });
    }
    const ha1 = md5(`${c.username}:${this.realm}:${pw}`);
    const ha2 = md5(`REGISTER:${c.uri}`);
    const expect = md5(`${ha1}:${c.nonce}:${c.nc}:${c.cnonce}:auth:${ha2}`);
    if (pw === undefined || c.response !== expect) return buildResponse(req, 401, { toTag: 'reg', headers: [challenge()] });
    const expires = Number(req.headers.find((h) => h.name === 'Expires')?.value ?? '3600');
    if (expires > 0 && expires < this.minExpires) {
      return buildResponse(req, 423, { toTag: 'reg', headers: [{ name: 'Min-Expires', value: String(this.minExpires) }] });
    }
    const contact = req.headers.find((h) => h.name === 'Contact')?.value ?? '';
    const bare = contact.replace(/;expires=\d+/, '');
    const granted = Math.min(expires, this.maxExpires);
    if (granted === 0) this.bindings.delete(req.from.uri.user ?? '');
    else this.bindings.set(req.from.uri.user ?? '', { contact: bare, expires: granted });
    return buildResponse(req, 200, { toTag: 'reg', headers: granted ? [{ name: 'Contact', value: `${bare};expires=${granted}` }] : [] });
  }
}

export function baseConfig(over: Partial<UserAgentConfig> = {}): UserAgentConfig {
  return {
    user: 'door',
    password: 'secret',
    domain: 'pbx.lan',
    registrar: `sip:${REGISTRAR_IP}`,
    transport: 'udp',
    expires: 600,
    sessionExpires: 0,
    ...over,
  };
}

export interface World {
  clock: FakeClock;
  net: FakeNetwork;
  registrar: FakeRegistrar;
  make(ip: string, config?: Partial<UserAgentConfig>, port?: number): UserAgent;
}

export function world(): World {
  const clock = new FakeClock(1000);
  const net = new FakeNetwork(clock, 1);
  const registrar = new FakeRegistrar(net);
  return {
    clock,
    net,
    registrar,
    make(ip, config = {}, port = 5060) {
      const t = net.transport(ip, port, config.transport ?? 'udp');
      return new UserAgent({ transports: [t], clock, config: baseConfig(config), resolve: async () => [REGISTRAR_IP] });
    },
  };
}

/** Let pending promise callbacks run, then advance the fake clock in small steps. */
export async function run(clock: FakeClock, ms: number, step = 1): Promise<void> {
  let left = ms;
  for (;;) {
    await new Promise((r) => setImmediate(r));
    if (left <= 0) break;
    const s = Math.min(step, left);
    clock.advance(s);
    left -= s;
  }
}

/** A scripted SIP endpoint: parses what it gets and lets the test answer by hand. */
export class ScriptedPeer {
  readonly transport: FakeTransport;
  readonly received: SipRequest[] = [];
  readonly responses: import('../../../daemon/sip/types.js').SipResponse[] = [];
  onRequest: ((req: SipRequest, source: import('../../../daemon/sip/types.js').Endpoint) => void) | undefined;

  constructor(net: FakeNetwork, readonly ip: string, readonly port = 5060, protocol: 'udp' | 'tcp' = 'udp') {
    this.transport = net.transport(ip, port, protocol);
    this.transport.onMessage((m) => {
      const p = parseMessage(m.data);
      if (!p.ok) return;
      if (p.message.kind === 'response') {
        this.responses.push(p.message);
        return;
      }
      this.received.push(p.message);
      this.onRequest?.(p.message, m.source);
    });
  }

  send(msg: import('../../../daemon/sip/types.js').SipMessage, to: import('../../../daemon/sip/types.js').Endpoint): void {
    void this.transport.send(to, serializeMessage(msg));
  }

  methods(): string[] {
    return this.received.map((r) => r.method);
  }
}
