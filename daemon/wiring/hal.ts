/**
 * Opens the HAL devices named in config and mirrors their state into the status hub.
 */
import type { ResolvedConfig } from '../../config/load.js';
import { createButton, createCapture, createInput, createLed, createPlayback, createRelay } from '../../hal/registry.js';
import type { AudioCapture, AudioPlayback, Button, Input, Led, Relay } from '../../hal/types.js';
import type { StatusHub } from '../util/status-hub.js';
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/log.js';

export interface Devices {
  buttons: Map<string, Button>;
  relays: Map<string, Relay>;
  inputs: Map<string, Input>;
  leds: Map<string, Led>;
  capture: AudioCapture;
  playback: AudioPlayback;
  close(): Promise<void>;
}

export async function openDevices(config: ResolvedConfig, clock: Clock, log: Logger, hub: StatusHub): Promise<Devices> {
  const ctx = { clock };
  const buttons = new Map<string, Button>(config.buttons.map((b) => [b.id, createButton(b, ctx)]));
  const relays = new Map<string, Relay>(config.relays.map((r) => [r.id, createRelay(r, ctx)]));
  const inputs = new Map<string, Input>(config.inputs.map((i) => [i.id, createInput(i, ctx)]));
  const leds = new Map<string, Led>(config.leds.map((l) => [l.id, createLed(l, ctx)]));
  const capture = createCapture(config.audio.capture, config.audio.sample_rate);
  const playback = createPlayback(config.audio.playback, config.audio.sample_rate);
  const opened: { close(): Promise<void> }[] = [];
  const close = async () => {
    for (const dev of opened.reverse()) {
      try {
        await dev.close();
      } catch (err) {
        log.warn({ err: (err as Error).message }, 'error while closing a device');
      }
    }
  };
  try {
    for (const dev of [...buttons.values(), ...relays.values(), ...inputs.values(), ...leds.values(), capture, playback]) {
      await dev.open();
      opened.push(dev);
    }
  } catch (err) {
    await close();
    throw err;
  }

  const publish = () => {
    hub.set('buttons', Object.fromEntries([...buttons].map(([id, b]) => [id, { pressed: b.pressed, driver: b.driver }])));
    hub.set('relays', Object.fromEntries([...relays].map(([id, r]) => [id, { state: r.state, driver: r.driver }])));
    hub.set('inputs', Object.fromEntries([...inputs].map(([id, i]) => [id, { active: i.active, driver: i.driver }])));
    hub.set('leds', Object.fromEntries([...leds].map(([id, l]) => [id, { lit: l.lit, driver: l.driver }])));
  };
  publish();
  for (const dev of [capture, playback] as { driver: string; events?: { on(ev: 'crash', fn: (e: unknown) => void): unknown } }[]) {
    dev.events?.on('crash', (e) => log.warn({ driver: dev.driver, detail: e }, 'audio device process died; restarting it'));
  }
  hub.set('audio', { capture: capture.driver, playback: playback.driver, sample_rate: config.audio.sample_rate });

  for (const b of buttons.values()) {
    b.events.onListenerError = (ev, err) => log.error({ err, event: ev, button: b.id }, 'button listener failed');
    b.events.on('press', (e) => log.info({ button: e.id, source: e.source }, 'button pressed'));
    b.events.on('longPress', (e) => log.info({ button: e.id, heldMs: e.heldMs }, 'button long press'));
    b.events.on('press', publish);
    b.events.on('release', publish);
  }
  for (const r of relays.values()) {
    r.events.onListenerError = (ev, err) => log.error({ err, event: ev, relay: r.id }, 'relay listener failed');
    r.events.on('change', (e) => log.info({ relay: e.id, state: e.state }, 'relay changed'));
    r.events.on('change', publish);
  }
  for (const i of inputs.values()) {
    i.events.onListenerError = (ev, err) => log.error({ err, event: ev, input: i.id }, 'input listener failed');
    i.events.on('change', (e) => log.info({ input: e.id, active: e.active }, 'input changed'));
    i.events.on('change', publish);
  }
  return { buttons, relays, inputs, leds, capture, playback, close };
}
