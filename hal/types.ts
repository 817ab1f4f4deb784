/**
 * Hardware abstraction: what the daemon needs from buttons, relays, inputs, LEDs, microphone and
 * speaker. Drivers are chosen by name in config (architecture rule 4); constructors do no I/O,
 * `open()` does, and `close()` is safe to call twice.
 */
import type { TypedEmitter } from '../daemon/util/events.js';

export interface ButtonEvents extends Record<string, unknown> {
  press: { id: string; source: 'hardware' | 'api' };
  release: { id: string; heldMs: number };
  longPress: { id: string; heldMs: number };
}

export interface Button {
  readonly id: string;
  readonly driver: string;
  readonly events: TypedEmitter<ButtonEvents>;
  /** true while held down (after debouncing) */
  readonly pressed: boolean;
  /** a press as if from the hardware, for the API's test ring */
  press(): void;
  open(): Promise<void>;
  close(): Promise<void>;
}

export type RelayState = 'on' | 'off';

export interface RelayEvents extends Record<string, unknown> {
  change: { id: string; state: RelayState };
}

export interface Relay {
  readonly id: string;
  readonly driver: string;
  readonly events: TypedEmitter<RelayEvents>;
  readonly state: RelayState;
  on(): void;
  off(): void;
  /** on now, off after ms (a new pulse extends the running one) */
  pulse(ms: number): void;
  open(): Promise<void>;
  close(): Promise<void>;
}

export interface InputEvents extends Record<string, unknown> {
  change: { id: string; active: boolean };
}

export interface Input {
  readonly id: string;
  readonly driver: string;
  readonly events: TypedEmitter<InputEvents>;
  readonly active: boolean;
  open(): Promise<void>;
  close(): Promise<void>;
}

export interface Led {
  readonly id: string;
  readonly driver: string;
  readonly lit: boolean;
  set(lit: boolean): void;
  open(): Promise<void>;
  close(): Promise<void>;
}

/** Microphone: 16-bit mono PCM, pulled one frame per media tick. */
export interface AudioCapture {
  readonly driver: string;
  readonly sampleRate: number;
  /** the next `samples` samples; silence when the device has nothing (never blocks) */
  read(samples: number): Int16Array;
  open(): Promise<void>;
  close(): Promise<void>;
}

/** Speaker: 16-bit mono PCM, pushed one frame per media tick. */
export interface AudioPlayback {
  readonly driver: string;
  readonly sampleRate: number;
  write(pcm: Int16Array): void;
  open(): Promise<void>;
  close(): Promise<void>;
}

export interface GpioLineOptions {
  id: string;
  chip?: string;
  line?: number | string;
  active_low: boolean;
}
