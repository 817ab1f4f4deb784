/**
 * The observer stream the panel subscribes to (architecture: "nothing in the protocol code knows the
 * panel exists"). main.ts feeds it sections of the status (sip, calls, buttons, relays, inputs, leds,
 * media levels ...) and logged events; subscribers get a snapshot, then deltas.
 */
import { TypedEmitter } from './events.js';

export type StatusSection = 'sip' | 'calls' | 'buttons' | 'relays' | 'inputs' | 'leds' | 'audio' | 'doors' | 'media';

export interface StatusHubEvents extends Record<string, unknown> {
  /** a section changed; `value` is the whole new section */
  delta: { section: StatusSection; value: unknown };
  /** an event-log entry */
  event: { time: string; type: string; [k: string]: unknown };
}

export class StatusHub extends TypedEmitter<StatusHubEvents> {
  private readonly sections = new Map<StatusSection, unknown>();
  private readonly json = new Map<StatusSection, string>();

  /** Sets a section; emits a delta only when it really changed. */
  set(section: StatusSection, value: unknown): void {
    const text = JSON.stringify(value);
    if (this.json.get(section) === text) return;
    this.json.set(section, text);
    this.sections.set(section, value);
    this.emit('delta', { section, value });
  }

  get(section: StatusSection): unknown {
    return this.sections.get(section);
  }

  snapshot(): Record<string, unknown> {
    return Object.fromEntries(this.sections);
  }
}
