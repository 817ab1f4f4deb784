/**
 * Builds the SIP user agent from config (sockets and settings come from sip/user-agent-config.ts)
 * and works out the address we advertise in SDP, so SIP and RTP name the same address.
 */
import type { ResolvedConfig } from '../../config/load.js';
import type { Transport } from '../sip/transport.js';
import { localAddressToward, openTransports, splitHostPort, userAgentConfig } from '../sip/user-agent-config.js';
import { parseUri } from '../sip/uri.js';
import { UserAgent } from '../sip/user-agent.js';
import type { Clock } from '../util/clock.js';
import { PortierError } from '../util/errors.js';
import type { Logger } from '../util/log.js';

export interface SipStack {
  ua: UserAgent;
  /** the transport of sip.transport (the one the PBX talks to) */
  transport: Transport;
  /** the address we put in SDP */
  mediaAddress: string;
  /** where RTP sockets bind */
  bindAddress: string;
}

const isWildcard = (h: string) => h === '0.0.0.0' || h === '::';

export async function startSip(config: ResolvedConfig, log: Logger, clock: Clock): Promise<SipStack> {
  const sip = config.sip;
  const { host } = splitHostPort(sip.listen);
  let transports: Transport[];
  try {
    transports = await openTransports(sip);
  } catch (err) {
    if (err instanceof PortierError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'EADDRINUSE' ? 'the port is in use (another SIP program?)' : code === 'EACCES' ? 'permission denied' : (err as Error).message;
    throw new PortierError('SIP_TRANSPORT', `cannot listen for SIP on ${sip.listen}: ${why}`, { cause: err });
  }
  const transport = transports.find((t) => t.protocol === sip.transport) ?? transports[0];
  let mediaAddress = host;
  if (isWildcard(host)) {
    const toward = parseUri(sip.outbound_proxy ?? sip.registrar ?? '');
    const peer = toward.ok ? toward.value.host.replace(/^\[|\]$/g, '') : host === '::' ? '2001:db8::1' : '192.0.2.1';
    mediaAddress = (await localAddressToward(peer, host === '::')) ?? (host === '::' ? '::1' : '127.0.0.1');
  }
  const ua = new UserAgent({ transports, clock, log: log.child({ module: 'sip' }), config: { ...userAgentConfig(sip), userAgent: 'portier' } });
  ua.onListenerError = (ev, err) => log.error({ err, event: ev }, 'SIP listener failed');
  ua.on('error', (err) => log.warn({ err: err.message }, 'SIP transport error'));
  return { ua, transport, mediaAddress, bindAddress: host };
}
