/**
 * Driver registry (architecture rule 4): a driver is a name plus a factory. Config names the driver;
 * an unknown name fails with the list of known ones.
 */
import type { Clock } from '../daemon/util/clock.js';
import { PortierError } from '../daemon/util/errors.js';
import { SilenceCapture, ToneCapture, NullPlayback } from './audio/sim.js';
import { WavCapture, WavPlayback } from './audio/wav-file.js';
import { SimButton, SimInput, SimLed, SimRelay } from './gpio/sim.js';
import { AlsaCapture, AlsaPlayback } from './audio/alsa.js';
import { GpiodButton, GpiodInput, GpiodLed, GpiodRelay } from './gpio/gpiod.js';
import type { AudioCapture, AudioPlayback, Button, Input, Led, Relay } from './types.js';

export interface ButtonConfig {
  id: string;
  driver: string;
  chip?: string;
  line?: number | string;
  active_low: boolean;
  bias: 'pull-up' | 'pull-down' | 'disabled' | 'as-is';
  debounce_ms: number;
  long_press_ms: number;
}
export interface RelayConfig {
  id: string;
  driver: string;
  chip?: string;
  line?: number | string;
  active_low: boolean;
}
export type InputConfig = Omit<ButtonConfig, 'long_press_ms'>;
export type LedConfig = RelayConfig;

export interface HalContext {
  clock: Clock;
}

interface GpioDrivers {
  button(cfg: ButtonConfig, ctx: HalContext): Button;
  relay(cfg: RelayConfig, ctx: HalContext): Relay;
  input(cfg: InputConfig, ctx: HalContext): Input;
  led(cfg: LedConfig, ctx: HalContext): Led;
}

const gpioDrivers = new Map<string, GpioDrivers>([
  [
    'sim',
    {
      button: (cfg, ctx) => new SimButton({ ...cfg, clock: ctx.clock }),
      relay: (cfg, ctx) => new SimRelay(cfg.id, ctx.clock),
      input: (cfg) => new SimInput(cfg.id),
      led: (cfg) => new SimLed(cfg.id),
    },
  ],
  [
    'gpiod',
    {
      button: (cfg, ctx) => new GpiodButton(cfg, ctx.clock),
      relay: (cfg, ctx) => new GpiodRelay(cfg, ctx.clock),
      input: (cfg, ctx) => new GpiodInput(cfg, ctx.clock),
      led: (cfg, ctx) => new GpiodLed(cfg, ctx.clock),
    },
  ],
]);

type CaptureFactory = (arg: string, sampleRate: number) => AudioCapture;
type PlaybackFactory = (arg: string, sampleRate: number) => AudioPlayback;

const captureDrivers = new Map<string, { needsArg: boolean; argHelp?: string; create: CaptureFactory }>([
  ['silence', { needsArg: false, create: (_a, rate) => new SilenceCapture(rate) }],
  ['tone', { needsArg: true, argHelp: 'a frequency in Hz, e.g. tone:440', create: (a, rate) => new ToneCapture(rate, Number(a)) }],
  ['wav', { needsArg: true, argHelp: 'a file path, e.g. wav:/usr/share/portier/hello.wav', create: (a, rate) => new WavCapture(a, rate) }],
  ['alsa', { needsArg: true, argHelp: 'an ALSA device, e.g. alsa:default or alsa:plughw:1,0', create: (a, rate) => new AlsaCapture({ device: a, sampleRate: rate }) }],
]);

const playbackDrivers = new Map<string, { needsArg: boolean; argHelp?: string; create: PlaybackFactory }>([
  ['null', { needsArg: false, create: (_a, rate) => new NullPlayback(rate) }],
  ['wav', { needsArg: true, argHelp: 'a file path, e.g. wav:/tmp/door-speaker.wav', create: (a, rate) => new WavPlayback(a, rate) }],
  ['alsa', { needsArg: true, argHelp: 'an ALSA device, e.g. alsa:default or alsa:plughw:1,0', create: (a, rate) => new AlsaPlayback({ device: a, sampleRate: rate }) }],
]);

/** Splits "tone:440" into driver "tone" and argument "440". */
export function splitDriver(spec: string): { name: string; arg: string } {
  const i = spec.indexOf(':');
  return i < 0 ? { name: spec, arg: '' } : { name: spec.slice(0, i), arg: spec.slice(i + 1) };
}

/** Checks a driver string without creating anything; returns a problem sentence or null. */
export function checkAudioSpec(kind: 'capture' | 'playback', spec: string): string | null {
  const { name, arg } = splitDriver(spec);
  const table = kind === 'capture' ? captureDrivers : playbackDrivers;
  const entry = table.get(name);
  if (!entry) return `unknown ${kind} driver "${name}"; known: ${[...table.keys()].join(', ')}`;
  if (entry.needsArg && !arg) return `driver "${name}" needs an argument: ${entry.argHelp ?? `${name}:ARG`}`;
  if (name === 'tone') {
    const hz = Number(arg);
    if (!Number.isFinite(hz) || hz <= 0 || hz > 20000) return `tone frequency "${arg}" must be a number of Hz between 1 and 20000`;
  }
  return null;
}

export function checkGpioDriver(name: string): string | null {
  return gpioDrivers.has(name) ? null : `unknown driver "${name}"; known: ${[...gpioDrivers.keys()].join(', ')}`;
}

function gpio(name: string): GpioDrivers {
  const d = gpioDrivers.get(name);
  if (!d) throw new PortierError('HAL_UNKNOWN_DRIVER', checkGpioDriver(name)!);
  return d;
}

export const createButton = (cfg: ButtonConfig, ctx: HalContext): Button => gpio(cfg.driver).button(cfg, ctx);
export const createRelay = (cfg: RelayConfig, ctx: HalContext): Relay => gpio(cfg.driver).relay(cfg, ctx);
export const createInput = (cfg: InputConfig, ctx: HalContext): Input => gpio(cfg.driver).input(cfg, ctx);
export const createLed = (cfg: LedConfig, ctx: HalContext): Led => gpio(cfg.driver).led(cfg, ctx);

export function createCapture(spec: string, sampleRate: number): AudioCapture {
  const problem = checkAudioSpec('capture', spec);
  if (problem) throw new PortierError('HAL_UNKNOWN_DRIVER', problem);
  const { name, arg } = splitDriver(spec);
  return captureDrivers.get(name)!.create(arg, sampleRate);
}

export function createPlayback(spec: string, sampleRate: number): AudioPlayback {
  const problem = checkAudioSpec('playback', spec);
  if (problem) throw new PortierError('HAL_UNKNOWN_DRIVER', problem);
  const { name, arg } = splitDriver(spec);
  return playbackDrivers.get(name)!.create(arg, sampleRate);
}
