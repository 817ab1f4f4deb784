/**
 * Builds the SIP user agent from config: the listening transport, the addresses we advertise, and
 * the UA's settings. main.ts calls it; the demo flat builds its own small one.
 */
import { readFileSync } from 'node:fs';
import type { ResolvedConfig } from '../config/load.js';
import { parseHostPort } from '../config/schema-fields.js';
import { TcpTransport } from './sip/transport-tcp.js';
import { TlsTransport } from './sip/transport-tls.js';
import type { Transport } from './sip/transport.js';
import { UdpTransport } from './sip/transport-udp.js';
import { parseUri } from './sip/uri.js';
import { UserAgent } from './sip/user-agent.js';
import type { Clock } from './util/clock.js';
import { PortierError } from './util/errors.js';
import type { Logger } from './util/log.js';
import { isWildcard, localAddressToward } from './util/net.js';

export interface SipStack {
  ua: UserAgent;
  transport: Transport;
  /** the address we put in SDP (and that RTP binds to when SIP listens on one address) */
  mediaAddress: string;
  /** where RTP sockets bind */
  bindAddress: string;
}

function readPem(path: string | undefined, what: string): Buffer | undefined {
  if (!path) return undefined;
  try {
    return readFileSync(path);
  } catch (err) {
    throw new PortierError('CONFIG_INVALID', `cannot read ${what} ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

export async function startSip(config: ResolvedConfig, log: Logger, clock: Clock): Promise<SipStack> {
  const sip = config.sip;
  const listen = parseHostPort(sip.listen)!;
  const registrarHost = sip.registrar ? (() => {
    const r = parseUri(sip.registrar);
    return r.ok ? r.value.host : undefined;
  })() : undefined;
  let transport: Transport;
  try {
    if (sip.transport === 'udp') {
      transport = await new UdpTransport({ address: listen.host, port: listen.port, maxMessageSize: sip.max_message_bytes }).listen();
    } else if (sip.transport === 'tcp') {
      transport = await new TcpTransport({ address: listen.host, port: listen.port, maxMessageSize: sip.max_message_bytes }).listen();
    } else {
      transport = await new TlsTransport({
        address: listen.host,
        port: listen.port,
        maxMessageSize: sip.max_message_bytes,
        cert: readPem(sip.tls_cert_file, 'sip.tls_cert_file'),
        key: readPem(sip.tls_key_file, 'sip.tls_key_file'),
        ca: readPem(sip.tls_ca_file, 'sip.tls_ca_file'),
        rejectUnauthorized: sip.tls_verify,
      }).listen();
    }
  } catch (err) {
    if (err instanceof PortierError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'EADDRINUSE' ? 'the port is in use (another SIP program?)' : code === 'EACCES' ? 'permission denied' : (err as Error).message;
    throw new PortierError('SIP_TRANSPORT', `cannot listen for SIP on ${sip.listen} (${sip.transport}): ${why}`, { cause: err });
  }
  const fallback = listen.host.includes(':') ? '::1' : '127.0.0.1';
  const mediaAddress = isWildcard(listen.host) ? await localAddressToward(registrarHost ?? fallback, fallback) : listen.host;
  const domain = sip.domain ?? registrarHost ?? mediaAddress;
  const ua = new UserAgent({
    transports: [transport],
    clock,
    log: log.child({ module: 'sip' }),
    config: {
      user: sip.user,
      ...(sip.password !== undefined ? { password: sip.password } : {}),
      ...(sip.auth_user ? { authUser: sip.auth_user } : {}),
      domain,
      ...(sip.registrar ? { registrar: sip.registrar } : {}),
      ...(sip.outbound_proxy ? { outboundProxy: sip.outbound_proxy } : {}),
      displayName: sip.display_name,
      transport: sip.transport,
      expires: sip.registrar ? sip.expires : 0,
      t1: sip.t1_ms,
      t2: sip.t2_ms,
      t4: sip.t4_ms,
      allowedSources: sip.allowed_sources,
      allowDirectCalls: sip.allow_direct_calls,
      keepalive: { method: sip.registrar ? sip.keepalive : 'off', intervalSeconds: sip.keepalive_interval_s },
      sessionExpires: sip.session_expires_s,
      rateLimit: { perSecond: sip.rate_limit_per_s, burst: sip.rate_limit_per_s * 2 },
      userAgent: 'portier',
    },
  });
  ua.onListenerError = (ev, err) => log.error({ err, event: ev }, 'SIP listener failed');
  ua.on('error', (err) => log.warn({ err: err.message }, 'SIP transport error'));
  return { ua, transport, mediaAddress, bindAddress: isWildcard(listen.host) ? listen.host || '0.0.0.0' : listen.host };
}
