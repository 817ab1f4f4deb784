import dgram from 'node:dgram';
import { lookup } from 'node:dns/promises';
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { systemClock, type Clock } from '../util/clock.js';
import { PortierError } from '../util/errors.js';
import type { Transport } from './transport.js';
import { TcpTransport } from './transport-tcp.js';
import { TlsTransport } from './transport-tls.js';
import { UdpTransport } from './transport-udp.js';
import { parseUri } from './uri.js';
import { UserAgent, type Logger, type UserAgentConfig } from './user-agent.js';

/**
 * The edge between the `[sip]` config section and the pure user agent: maps keys, opens the
 * sockets (UDP + TCP on `listen`, TLS on listen port + 1 when used) and finds the address to
 * advertise in Via/Contact when bound to a wildcard. The only file here that reads files.
 */
export interface SipSettings {
  registrar?: string;
  outbound_proxy?: string;
  user: string;
  auth_user?: string;
  password?: string;
  display_name?: string;
  domain?: string;
  transport: 'udp' | 'tcp' | 'tls';
  /** "0.0.0.0:5060", "[::]:5060", "192.168.1.20:5060" */
  listen: string;
  tls_cert_file?: string;
  tls_key_file?: string;
  tls_ca_file?: string;
  tls_verify: boolean;
  expires: number;
  t1_ms: number;
  t2_ms: number;
  t4_ms: number;
  keepalive: 'off' | 'crlf' | 'options';
  keepalive_interval_s: number;
  allowed_sources: string[];
  allow_direct_calls: boolean;
  rate_limit_per_s: number;
  session_expires_s: number;
  max_message_bytes: number;
}

export function splitHostPort(listen: string): { host: string; port: number } {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(listen) ?? /^([^:]+):(\d+)$/.exec(listen);
  if (!m) throw new PortierError('CONFIG_INVALID', `sip.listen "${listen}" is not host:port`);
  return { host: m[1], port: Number(m[2]) };
}

/** Map the config section to the user agent's config (pure). */
export function userAgentConfig(s: SipSettings): UserAgentConfig {
  const registrarHost = s.registrar ? parseUri(s.registrar) : undefined;
  const domain = s.domain ?? (registrarHost?.ok ? registrarHost.value.host : undefined) ?? 'localhost';
  return {
    user: s.user,
    ...(s.password !== undefined ? { password: s.password } : {}),
    ...(s.auth_user ? { authUser: s.auth_user } : {}),
    domain,
    ...(s.registrar ? { registrar: s.registrar } : {}),
    ...(s.outbound_proxy ? { outboundProxy: s.outbound_proxy } : {}),
    ...(s.display_name ? { displayName: s.display_name } : {}),
    transport: s.transport,
    expires: s.registrar ? s.expires : 0,
    t1: s.t1_ms,
    t2: s.t2_ms,
    t4: s.t4_ms,
    allowedSources: s.allowed_sources,
    allowDirectCalls: s.allow_direct_calls,
    keepalive: { method: s.keepalive, intervalSeconds: s.keepalive_interval_s },
    sessionExpires: s.session_expires_s,
    rateLimit: { perSecond: s.rate_limit_per_s, burst: 2 * s.rate_limit_per_s },
  };
}

/** The local address the kernel would use toward `host` (a connected UDP socket sends nothing). */
export async function localAddressToward(host: string, v6: boolean): Promise<string | undefined> {
  let target = host;
  if (isIP(target) === 0) {
    try {
      target = (await lookup(host, { family: v6 ? 6 : 4 })).address;
    } catch {
      return undefined;
    }
  }
  const sock = dgram.createSocket(v6 ? 'udp6' : 'udp4');
  try {
    await new Promise<void>((resolve, reject) => {
      sock.once('error', reject);
      sock.connect(9, target, () => resolve());
    });
    return sock.address().address;
  } catch {
    return undefined;
  } finally {
    sock.close();
  }
}

/** Open the transports the settings ask for. */
export async function openTransports(s: SipSettings): Promise<Transport[]> {
  const { host, port } = splitHostPort(s.listen);
  const v6 = host.includes(':');
  let advertisedAddress: string | undefined;
  if (host === '0.0.0.0' || host === '::') {
    const toward = s.outbound_proxy ?? s.registrar;
    const u = toward ? parseUri(toward) : undefined;
    const peer = u?.ok ? u.value.host.replace(/^\[|\]$/g, '') : v6 ? '2001:db8::1' : '192.0.2.1';
    advertisedAddress = await localAddressToward(peer, v6);
  }
  const common = { address: host, maxMessageSize: s.max_message_bytes, ...(advertisedAddress ? { advertisedAddress } : {}) };
  const out: Transport[] = [];
  try {
    out.push(await new UdpTransport({ ...common, port }).listen());
    const streamPort = port === 0 ? 0 : port;
    out.push(await new TcpTransport({ ...common, port: streamPort }).listen());
    if (s.transport === 'tls' || s.tls_cert_file) {
      const read = (f: string | undefined) => (f ? readFileSync(f, 'utf8') : undefined);
      const cert = read(s.tls_cert_file);
      const key = read(s.tls_key_file);
      const ca = read(s.tls_ca_file);
      // the PBX's certificate names its host: verify against that name, not the resolved IP
      const pbx = parseUri(s.outbound_proxy ?? s.registrar ?? '');
      const servername = pbx.ok && isIP(pbx.value.host.replace(/^\[|\]$/g, '')) === 0 ? pbx.value.host : undefined;
      out.push(
        await new TlsTransport({
          ...common,
          ...(servername ? { servername } : {}),
          port: port === 0 ? 0 : port + 1,
          ...(cert ? { cert } : {}),
          ...(key ? { key } : {}),
          ...(ca ? { ca } : {}),
          rejectUnauthorized: s.tls_verify,
        }).listen(),
      );
    }
  } catch (err) {
    await Promise.all(out.map((t) => t.close()));
    throw err;
  }
  return out;
}

/** Open the sockets and build the user agent (call start() to register). */
export async function createUserAgent(s: SipSettings, opts: { clock?: Clock; log?: Logger; resolve?: (host: string) => Promise<string[]> } = {}): Promise<UserAgent> {
  const transports = await openTransports(s);
  return new UserAgent({
    transports,
    clock: opts.clock ?? systemClock,
    config: userAgentConfig(s),
    ...(opts.log ? { log: opts.log } : {}),
    ...(opts.resolve ? { resolve: opts.resolve } : {}),
  });
}
