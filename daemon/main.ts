/**
 * The daemon: config -> HAL -> user agent -> intercom -> panel; readiness and shutdown.
 */
import { mkdirSync } from 'node:fs';
import type { ResolvedConfig } from '../config/load.js';
import { parseHostPort, parsePortRange } from '../config/schema-fields.js';
import { openDevices } from './devices.js';
import { registerIntercomRoutes } from './intercom-routes.js';
import type { DemoFlat } from './intercom/demo-flat.js';
import { DoorAudio } from './intercom/door-audio.js';
import { watchDoorContacts } from './intercom/door-contact.js';
import { EventLog } from './intercom/event-log.js';
import { describeEvent } from './intercom/event-words.js';
import { Intercom } from './intercom/intercom.js';
import { MediaClock } from './media/media-clock.js';
import { PortAllocator } from './media/rtp-socket.js';
import type { ApiController } from './panel/api.js';
import { createPanel } from './panel/index.js';
import { readPanelTls, startHttpServer, type HttpServer } from './panel/server.js';
import { startSip, type SipStack } from './start-sip.js';
import { StatusHub } from './status-hub.js';
import { systemClock, type Clock } from './util/clock.js';
import { PortierError } from './util/errors.js';
import type { Logger } from './util/log.js';
import { SdNotify } from './util/sd-notify.js';
import { version } from './util/version.js';
import { PANEL_TARGET, PanelPhone } from './webrtc/panel-phone.js';
import type { Button, Relay } from '../hal/types.js';

export interface DaemonOptions {
  config: ResolvedConfig;
  log: Logger;
  clock?: Clock;
  env?: NodeJS.ProcessEnv;
}

export interface Daemon {
  readonly httpPort: number;
  readonly sipPort: number;
  readonly hub: StatusHub;
  readonly buttons: Map<string, Button>;
  readonly relays: Map<string, Relay>;
  readonly intercom: Intercom;
  readonly events: EventLog;
  readonly demoFlat: DemoFlat | null;
  close(): Promise<void>;
}

export async function startDaemon(opts: DaemonOptions): Promise<Daemon> {
  const { config, log } = opts;
  const clock = opts.clock ?? systemClock;
  const started = Date.now();
  const notify = new SdNotify(log, opts.env);
  const closers: (() => Promise<void> | void)[] = [];
  const closeAll = async () => {
    for (const close of closers.reverse()) {
      try {
        await close();
      } catch (err) {
        log.warn({ err: (err as Error).message }, 'error while closing');
      }
    }
  };

  try {
    mkdirSync(config.state_dir, { recursive: true, mode: 0o750 });
  } catch (err) {
    throw new PortierError('CONFIG_INVALID', `cannot create state_dir ${config.state_dir}: ${(err as Error).message}`);
  }

  const hub = new StatusHub();
  hub.onListenerError = (ev, err) => log.error({ err, event: ev }, 'status listener failed');
  const events = new EventLog({
    dir: config.state_dir,
    maxBytes: config.intercom.event_log_max_bytes,
    files: config.intercom.event_log_files,
    onError: (err) => log.error({ err: err.message }, 'cannot write the event log; keeping events in memory'),
  });
  events.load();
  events.events.on('event', (ev) => {
    hub.emit('event', ev);
    // the log says what happened in words (the JSON keeps the event's fields)
    const { time: _time, type, ...details } = ev;
    log.info({ event: type, ...details }, describeEvent(ev));
  });

  try {
    const devices = await openDevices(config, clock, log, hub);
    closers.push(() => devices.close());
    const mediaClock = new MediaClock({ clock, intervalMs: 20, stopWhenIdle: true });
    closers.push(() => mediaClock.stop());
    const audio = new DoorAudio(devices.capture, devices.playback, mediaClock);
    closers.push(() => audio.stop());

    const sip: SipStack = await startSip(config, log, clock);
    closers.push(() => sip.ua.close());
    hub.set('sip', { registration: config.sip.registrar ? 'registering' : 'unregistered', registrar: config.sip.registrar ?? null, listen: `${sip.transport.local.address}:${sip.transport.local.port}`, transport: config.sip.transport });
    sip.ua.on('registration', (e) => {
      hub.set('sip', { ...(hub.get('sip') as object), registration: e.state, ...(e.reason ? { reason: e.reason } : { reason: null }) });
      events.append('registration', { state: e.state, ...(e.reason ? { reason: e.reason } : {}) });
      notify.status(`registration ${e.state}${e.reason ? `: ${e.reason}` : ''}`);
    });
    await sip.ua.start();

    // the browser phone; werift itself loads only when a page answers
    const webrtcPorts = parsePortRange(config.webrtc.ports);
    const phone = new PanelPhone({
      clock,
      log: log.child({ module: 'webrtc' }),
      peer: { ports: [webrtcPorts.min, webrtcPorts.max], iceServers: config.webrtc.ice_servers.map((urls) => ({ urls })) },
    });
    const intercom = new Intercom({
      phone,
      config,
      ua: sip.ua,
      clock,
      media: {
        allocator: new PortAllocator(config.media.rtp_ports),
        bindAddress: sip.bindAddress,
        sdpAddress: sip.mediaAddress,
        codecs: config.media.codecs,
        clock,
        mediaClock,
        rtpTimeoutMs: config.media.rtp_timeout_s * 1000,
      },
      audio,
      relays: devices.relays,
      events,
      hub,
      log: log.child({ module: 'intercom' }),
    });
    closers.push(() => intercom.close());
    for (const b of devices.buttons.values()) b.events.on('press', (e) => intercom.press(e.id, e.source));
    closers.push(watchDoorContacts(config.doors, devices.inputs, clock, events));

    let demoFlat: DemoFlat | null = null;
    if (config.demo.flat) {
      // loaded only for the demo: a device never pays for it at start-up
      const { DemoFlat } = await import('./intercom/demo-flat.js');
      demoFlat = await DemoFlat.start({
        clock,
        log: log.child({ module: 'demo-flat' }),
        answerMs: config.demo.flat_answer_ms,
        toneHz: config.demo.flat_tone_hz,
        codecs: config.media.codecs,
        rtpPorts: config.media.rtp_ports,
        stateDir: config.state_dir,
        sampleRate: config.audio.sample_rate,
        mediaClock,
      });
      closers.push(() => demoFlat!.close());
      // buttons without targets call the demo flat, and ring the panel's browser phone beside it
      for (const b of config.buttons) if (b.call.length === 0) b.call = [demoFlat.uri, PANEL_TARGET];
      log.info({ uri: demoFlat.uri }, 'demo flat is listening');
    }

    const pulseMs = new Map(config.relays.map((r) => [r.id, r.pulse_ms]));
    const controller: ApiController = {
      health: () => ({ ok: true, version: version() }),
      status: () => ({
        version: version(),
        uptime_s: Math.round((Date.now() - started) / 1000),
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

    const panel = createPanel({ controller, hub, config, log, phone, extend: (api) => registerIntercomRoutes(api, { intercom, events, demoFlat }) });
    const listen = parseHostPort(config.panel.listen)!;
    const http: HttpServer = await startHttpServer(panel.app, listen.host, listen.port, readPanelTls(config.panel.tls_cert, config.panel.tls_key));
    panel.attach(http.server);
    closers.push(() => http.close());
    closers.push(() => panel.close());
    log.info({ listen: `${listen.host}:${http.port}`, url: `${config.panel.tls_cert ? 'https' : 'http'}://${listen.host.includes(':') ? `[${listen.host}]` : listen.host}:${http.port}/`, sip: `${sip.transport.local.address}:${sip.transport.local.port}`, version: version() }, 'panel and API listening');
    events.append('started', { version: version() });
    notify.ready(config.sip.registrar ? 'serving; registering' : 'serving');

    let closing: Promise<void> | null = null;
    return {
      httpPort: http.port,
      sipPort: sip.transport.local.port,
      hub,
      buttons: devices.buttons,
      relays: devices.relays,
      intercom,
      events,
      demoFlat,
      close() {
        closing ??= (async () => {
          notify.stopping();
          events.append('stopped', {});
          await closeAll();
          notify.close();
        })();
        return closing;
      },
    };
  } catch (err) {
    await closeAll();
    notify.close();
    throw err;
  }
}
