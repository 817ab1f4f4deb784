/**
 * The panel wired to the rest: the API controller (health, status, button presses, relay pulses),
 * the intercom's routes, the HTTP server and the live feed.
 */
import type { ResolvedConfig } from '../../config/load.js';
import { parseHostPort } from '../../config/schema-fields.js';
import type { EventLog } from '../intercom/event-log.js';
import type { MediaClock } from '../media/media-clock.js';
import type { ApiController } from '../panel/api.js';
import { createPanel } from '../panel/index.js';
import { registerIntercomRoutes } from '../panel/intercom-routes.js';
import { readPanelTls, startHttpServer } from '../panel/server.js';
import { PortierError } from '../util/errors.js';
import type { Logger } from '../util/log.js';
import type { StatusHub } from '../util/status-hub.js';
import { version } from '../util/version.js';
import type { Devices } from './hal.js';
import type { IntercomWiring } from './intercom.js';
import type { SipStack } from './sip.js';

export async function startPanel(
  d: { config: ResolvedConfig; log: Logger; hub: StatusHub; events: EventLog; devices: Devices; sip: SipStack; mediaClock: MediaClock; intercom: IntercomWiring; startedAt: number },
  closers: (() => Promise<void> | void)[],
): Promise<{ port: number }> {
  const { config, log, hub, events, devices, sip, mediaClock } = d;
  const pulseMs = new Map(config.relays.map((r) => [r.id, r.pulse_ms]));
  const controller: ApiController = {
    health: () => ({ ok: true, version: version() }),
    status: () => ({
      version: version(),
      uptime_s: Math.round((Date.now() - d.startedAt) / 1000),
      ...hub.snapshot(),
      sip_counters: sip.ua.stats(),
      media_clock: mediaClock.stats(),
      events: events.recent(5),
    }),
    pressButton(id) {
      const b = devices.buttons.get(id);
      if (!b) throw new PortierError('NOT_FOUND', `no button "${id}" (buttons: ${[...devices.buttons.keys()].join(', ') || 'none'})`);
      b.press();
    },
    pulseRelay(id, ms) {
      const r = devices.relays.get(id);
      if (!r) throw new PortierError('NOT_FOUND', `no relay "${id}" (relays: ${[...devices.relays.keys()].join(', ') || 'none'})`);
      const duration = ms ?? pulseMs.get(id)!;
      r.pulse(duration);
      return { ms: duration };
    },
  };
  const { intercom, demoFlat, phone } = d.intercom;
  const panel = createPanel({ controller, hub, config, log, phone, extend: (api) => registerIntercomRoutes(api, { intercom, events, demoFlat }) });
  const listen = parseHostPort(config.panel.listen)!;
  const http = await startHttpServer(panel.app, listen.host, listen.port, readPanelTls(config.panel.tls_cert, config.panel.tls_key));
  panel.attach(http.server);
  closers.push(() => http.close());
  closers.push(() => panel.close());
  const url = `${config.panel.tls_cert ? 'https' : 'http'}://${listen.host.includes(':') ? `[${listen.host}]` : listen.host}:${http.port}/`;
  log.info({ listen: `${listen.host}:${http.port}`, url, sip: `${sip.transport.local.address}:${sip.transport.local.port}`, version: version() }, 'panel and API listening');
  return { port: http.port };
}
