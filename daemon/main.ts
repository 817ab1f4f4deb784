/**
 * The daemon: config -> HAL -> (user agent -> intercom) -> panel; readiness and shutdown.
 */
import { mkdirSync } from 'node:fs';
import type { ResolvedConfig } from '../config/load.js';
import { parseHostPort } from '../config/schema-fields.js';
import { createButton, createCapture, createInput, createLed, createPlayback, createRelay } from '../hal/registry.js';
import type { AudioCapture, AudioPlayback, Button, Input, Led, Relay } from '../hal/types.js';
import type { ApiController } from './panel/api.js';
import { createPanel } from './panel/index.js';
import { startHttpServer, type HttpServer } from './panel/server.js';
import { StatusHub } from './status-hub.js';
import { systemClock, type Clock } from './util/clock.js';
import { PortierError } from './util/errors.js';
import type { Logger } from './util/log.js';
import { SdNotify } from './util/sd-notify.js';
import { version } from './util/version.js';

export interface DaemonOptions {
  config: ResolvedConfig;
  log: Logger;
  clock?: Clock;
  env?: NodeJS.ProcessEnv;
}

export interface Daemon {
  readonly httpPort: number;
  readonly hub: StatusHub;
  readonly buttons: Map<string, Button>;
  readonly relays: Map<string, Relay>;
  close(): Promise<void>;
}

export async function startDaemon(opts: DaemonOptions): Promise<Daemon> {
  const { config, log } = opts;
  const clock = opts.clock ?? systemClock;
  const started = Date.now();
  const notify = new SdNotify(log, opts.env);
  const closers: (() => Promise<void>)[] = [];

  try {
    mkdirSync(config.state_dir, { recursive: true, mode: 0o750 });
  } catch (err) {
    throw new PortierError('CONFIG_INVALID', `cannot create state_dir ${config.state_dir}: ${(err as Error).message}`);
  }

  const ctx = { clock };
  const buttons = new Map<string, Button>(config.buttons.map((b) => [b.id, createButton(b, ctx)]));
  const relays = new Map<string, Relay>(config.relays.map((r) => [r.id, createRelay(r, ctx)]));
  const inputs = new Map<string, Input>(config.inputs.map((i) => [i.id, createInput(i, ctx)]));
  const leds = new Map<string, Led>(config.leds.map((l) => [l.id, createLed(l, ctx)]));
  const capture: AudioCapture = createCapture(config.audio.capture, config.audio.sample_rate);
  const playback: AudioPlayback = createPlayback(config.audio.playback, config.audio.sample_rate);
  const devices = [...buttons.values(), ...relays.values(), ...inputs.values(), ...leds.values(), capture, playback];
  for (const dev of devices) {
    await dev.open();
    closers.push(() => dev.close());
  }
  const pulseMs = new Map(config.relays.map((r) => [r.id, r.pulse_ms]));

  const hub = new StatusHub();
  hub.onListenerError = (ev, err) => log.error({ err, event: ev }, 'status listener failed');
  const publishDevices = () => {
    hub.set('buttons', Object.fromEntries([...buttons].map(([id, b]) => [id, { pressed: b.pressed, driver: b.driver }])));
    hub.set('relays', Object.fromEntries([...relays].map(([id, r]) => [id, { state: r.state, driver: r.driver }])));
    hub.set('inputs', Object.fromEntries([...inputs].map(([id, i]) => [id, { active: i.active, driver: i.driver }])));
    hub.set('leds', Object.fromEntries([...leds].map(([id, l]) => [id, { lit: l.lit, driver: l.driver }])));
  };
  publishDevices();
  hub.set('sip', { registration: 'unregistered', registrar: config.sip.registrar ?? null });
  hub.set('calls', []);
  hub.set('audio', { capture: capture.driver, playback: playback.driver, sample_rate: config.audio.sample_rate });

  for (const b of buttons.values()) {
    b.events.on('press', publishDevices);
    b.events.on('release', publishDevices);
    b.events.onListenerError = (ev, err) => log.error({ err, event: ev, button: b.id }, 'button listener failed');
    b.events.on('press', (e) => log.info({ button: e.id, source: e.source }, 'button pressed'));
    b.events.on('longPress', (e) => log.info({ button: e.id, heldMs: e.heldMs }, 'button long press'));
  }
  for (const r of relays.values()) {
    r.events.on('change', (e) => log.info({ relay: e.id, state: e.state }, 'relay changed'));
    r.events.on('change', publishDevices);
  }
  for (const i of inputs.values()) {
    i.events.on('change', (e) => log.info({ input: e.id, active: e.active }, 'input changed'));
    i.events.on('change', publishDevices);
  }

  const controller: ApiController = {
    health: () => ({ ok: true, version: version() }),
    status: () => ({
      version: version(),
      uptime_s: Math.round((Date.now() - started) / 1000),
      ...hub.snapshot(),
    }),
    pressButton(id) {
      const b = buttons.get(id);
      if (!b) throw new PortierError('NOT_FOUND', `no button "${id}" (buttons: ${[...buttons.keys()].join(', ') || 'none'})`);
      b.press();
    },
    pulseRelay(id, ms) {
      const r = relays.get(id);
      if (!r) throw new PortierError('NOT_FOUND', `no relay "${id}" (relays: ${[...relays.keys()].join(', ') || 'none'})`);
      const duration = ms ?? pulseMs.get(id)!;
      r.pulse(duration);
      return { ms: duration };
    },
  };

  const panel = createPanel({ controller, hub, config, log });
  const listen = parseHostPort(config.panel.listen)!;
  const http: HttpServer = await startHttpServer(panel.app, listen.host, listen.port);
  panel.attach(http.server);
  closers.push(() => http.close());
  closers.push(() => panel.close());
  log.info({ listen: `${listen.host}:${http.port}`, version: version() }, 'panel and API listening');
  notify.ready('serving');

  let closing: Promise<void> | null = null;
  return {
    httpPort: http.port,
    hub,
    buttons,
    relays,
    close() {
      closing ??= (async () => {
        notify.stopping();
        for (const close of closers.reverse()) {
          try {
            await close();
          } catch (err) {
            log.warn({ err: (err as Error).message }, 'error while closing');
          }
        }
        notify.close();
      })();
      return closing;
    },
  };
}
