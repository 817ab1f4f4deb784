/**
 * The daemon: config -> HAL -> user agent -> intercom -> panel; readiness and shutdown.
 */
import { mkdirSync } from 'node:fs';
import type { ResolvedConfig } from '../config/load.js';
import type { Button, Relay } from '../hal/types.js';
import type { DemoFlat } from './intercom/demo-flat.js';
import { EventLog } from './intercom/event-log.js';
import { describeEvent } from './intercom/event-words.js';
import type { Intercom } from './intercom/intercom.js';
import { MediaClock } from './media/media-clock.js';
import { systemClock, type Clock } from './util/clock.js';
import { PortierError } from './util/errors.js';
import type { Logger } from './util/log.js';
import { SdNotify } from './util/sd-notify.js';
import { StatusHub } from './util/status-hub.js';
import { version } from './util/version.js';
import { openDevices } from './wiring/hal.js';
import { startIntercom } from './wiring/intercom.js';
import { startPanel } from './wiring/panel.js';
import { startSip, type SipStack } from './wiring/sip.js';

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
    const mediaClock = new MediaClock({
      clock,
      intervalMs: 20,
      stopWhenIdle: true,
      onListenerError: (err) => log.error({ err }, 'a media tick listener failed (logged once per listener; counted in media_clock.listenerErrors)'),
    });
    closers.push(() => mediaClock.stop());

    const sip: SipStack = await startSip(config, log, clock);
    closers.push(() => sip.ua.close());
    publishSip(config, sip, hub, events, notify, log);
    await sip.ua.start();

    const ic = await startIntercom({ config, clock, log, hub, events, devices, sip, mediaClock }, closers);
    const http = await startPanel({ config, log, hub, events, devices, sip, mediaClock, intercom: ic, startedAt: started }, closers);
    events.append('started', { version: version() });
    notify.ready(config.sip.registrar ? 'serving; registering' : 'serving');

    let closing: Promise<void> | null = null;
    return {
      httpPort: http.port,
      sipPort: sip.transport.local.port,
      hub,
      buttons: devices.buttons,
      relays: devices.relays,
      intercom: ic.intercom,
      events,
      demoFlat: ic.demoFlat,
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

/** The SIP section of the status, and registration changes into the log, the event log and systemd. */
function publishSip(config: ResolvedConfig, sip: SipStack, hub: StatusHub, events: EventLog, notify: SdNotify, log: Logger): void {
  const listen = `${sip.transport.local.address}:${sip.transport.local.port}`;
  hub.set('sip', { registration: config.sip.registrar ? 'registering' : 'unregistered', registrar: config.sip.registrar ?? null, listen, transport: config.sip.transport });
  sip.ua.on('registration', (e) => {
    hub.set('sip', { ...(hub.get('sip') as object), registration: e.state, ...(e.reason ? { reason: e.reason } : { reason: null }) });
    events.append('registration', { state: e.state, ...(e.reason ? { reason: e.reason } : {}) });
    notify.status(`registration ${e.state}${e.reason ? `: ${e.reason}` : ''}`);
  });
}
