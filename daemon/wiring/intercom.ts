/**
 * The intercom wired to the HAL and SIP: the door's audio, the call logic, buttons -> presses,
 * door contacts -> the event log, and the demo flat when the config asks for it.
 */
import type { ResolvedConfig } from '../../config/load.js';
import type { DemoFlat } from '../intercom/demo-flat.js';
import { DoorAudio } from '../intercom/door-audio.js';
import { watchDoorContacts } from '../intercom/door-contact.js';
import type { EventLog } from '../intercom/event-log.js';
import { Intercom } from '../intercom/intercom.js';
import type { MediaClock } from '../media/media-clock.js';
import { PortAllocator } from '../media/rtp-socket.js';
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/log.js';
import type { StatusHub } from '../util/status-hub.js';
import { PANEL_TARGET, PanelPhone } from '../webrtc/panel-phone.js';
import { parsePortRange } from '../../config/schema-fields.js';
import type { Devices } from './hal.js';
import type { SipStack } from './sip.js';

export interface IntercomWiring {
  intercom: Intercom;
  demoFlat: DemoFlat | null;
  /** the browser phone; werift itself loads only when a page answers */
  phone: PanelPhone;
}

export async function startIntercom(
  d: { config: ResolvedConfig; clock: Clock; log: Logger; hub: StatusHub; events: EventLog; devices: Devices; sip: SipStack; mediaClock: MediaClock },
  closers: (() => Promise<void> | void)[],
): Promise<IntercomWiring> {
  const { config, clock, log, devices, sip, mediaClock } = d;
  const audio = new DoorAudio(devices.capture, devices.playback, mediaClock);
  closers.push(() => audio.stop());
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
    events: d.events,
    hub: d.hub,
    log: log.child({ module: 'intercom' }),
  });
  closers.push(() => intercom.close());
  for (const b of devices.buttons.values()) b.events.on('press', (e) => intercom.press(e.id, e.source));
  closers.push(watchDoorContacts(config.doors, devices.inputs, clock, d.events));

  let demoFlat: DemoFlat | null = null;
  if (config.demo.flat) {
    // loaded only for the demo: a device never pays for it at start-up
    const { DemoFlat } = await import('../intercom/demo-flat.js');
    const flat = await DemoFlat.start({
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
    demoFlat = flat;
    closers.push(() => flat.close());
    // buttons without targets call the demo flat, and ring the panel's browser phone beside it
    for (const b of config.buttons) if (b.call.length === 0) b.call = [flat.uri, PANEL_TARGET];
    log.info({ uri: flat.uri }, 'demo flat is listening');
  }
  return { intercom, demoFlat, phone };
}
