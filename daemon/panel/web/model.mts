/**
 * Reads the daemon's status sections into what the page shows. Pure (no DOM), so it runs under the
 * unit tests too. Defensive: sections may be missing or still growing while the daemon evolves.
 */
import { describeEvent, type EventRecord } from '../../intercom/event-words.js';
export type Status = Record<string, unknown>;

export interface CallView {
  id: string;
  direction: string;
  state: string;
  peer: string;
  codec: string;
  durationS: number | null;
  endReason: string;
  levels: { in: number | null; out: number | null };
  /** depthMs: the buffer's delay target; lost: frames concealed (cumulative); late: late packets (cumulative) */
  jitter: {
    depthMs: number | null;
    depthFrames: number | null;
    lost: number | null;
    late: number | null;
    lossPct: number | null;
    jitterMs: number | null;
  } | null;
  active: boolean;
}

export interface DeviceView {
  id: string;
  kind: 'button' | 'relay' | 'input' | 'led';
  on: boolean;
  label: string;
  driver: string;
}

export interface DoorView {
  relay: string;
  open: boolean;
  contact: string | null;
  contactOpen: boolean | null;
}

const obj = (v: unknown): Record<string, unknown> => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {});
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const str = (v: unknown, dflt = ''): string => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : dflt);
const roundOrNull = (v: number | null): number | null => (v === null ? null : Math.round(v));
const first = (o: Record<string, unknown>, ...keys: string[]): unknown => keys.map((k) => o[k]).find((v) => v !== undefined);

function list(v: unknown): Record<string, unknown>[] {
  if (Array.isArray(v)) return v.map(obj);
  return Object.entries(obj(v)).map(([id, x]) => ({ id, ...obj(x) }));
}

export const ENDED_STATES = new Set(['ended', 'terminated', 'failed', 'rejected', 'cancelled', 'busy']);

/** A level as 0..1: dBFS (negative numbers, -60 dB floor) or already linear 0..1. */
export function levelFraction(v: number | null): number {
  if (v === null) return 0;
  if (v < 0) return Math.min(1, Math.max(0, (v + 60) / 60));
  return Math.min(1, v);
}

export function registration(status: Status): { state: string; server: string; detail: string } {
  const sip = obj(status.sip);
  const state = str(first(sip, 'registration', 'state'), 'unknown');
  const server = str(first(sip, 'registrar', 'server', 'proxy'), '');
  const detail = str(first(sip, 'error', 'reason', 'detail'), '');
  return { state, server, detail };
}

export function calls(status: Status): CallView[] {
  return list(status.calls).map((c, i) => {
    // the intercom puts media figures under `media` (level_*_dbfs, loss, jitter_buffer); older shapes at the top
    const m = obj(c.media);
    const lv = obj(first(c, 'levels', 'level'));
    const jbRaw = first(m, 'jitter_buffer') ?? first(c, 'jitter', 'jitter_buffer', 'jb');
    const j = obj(jbRaw);
    const state = str(c.state, 'unknown');
    const loss = num(m.loss);
    return {
      id: str(c.id, String(i)),
      direction: str(c.direction, ''),
      state,
      peer: str(first(c, 'peer', 'remote', 'to', 'from'), ''),
      codec: str(c.codec, ''),
      durationS: num(first(c, 'duration_s', 'duration')),
      endReason: str(c.end_reason, ''),
      levels: { in: num(first(m, 'level_in_dbfs') ?? first(lv, 'in', 'rx')), out: num(first(m, 'level_out_dbfs') ?? first(lv, 'out', 'tx')) },
      jitter:
        jbRaw === undefined
          ? null
          : {
              depthMs: roundOrNull(num(first(j, 'targetDelayMs', 'depth_ms', 'depth', 'buffer_ms', 'target_ms'))),
              depthFrames: num(first(j, 'depthFrames')),
              lost: num(first(j, 'concealed', 'loss', 'lost', 'lost_packets')),
              late: num(first(j, 'late', 'late_packets')),
              lossPct: loss === null ? null : Math.round(loss * 1000) / 10,
              jitterMs: num(m.jitter_ms),
            },
      active: !ENDED_STATES.has(state),
    };
  });
}

/** The call the page shows: an active one if any, else the last one. */
export function currentCall(status: Status): CallView | null {
  const all = calls(status);
  return all.find((c) => c.active) ?? all[all.length - 1] ?? null;
}

export function devices(status: Status): DeviceView[] {
  const out: DeviceView[] = [];
  // an input that is a door's contact reads as the door reads: open or closed, the same word as in Doors
  const contacts = new Set(doors(status).map((d) => d.contact).filter((c): c is string => !!c));
  const inputLabel = (id: string, active: boolean) => (contacts.has(id) ? (active ? 'open' : 'closed') : active ? 'active' : 'inactive');
  for (const b of list(status.buttons)) out.push({ id: str(b.id), kind: 'button', on: b.pressed === true, label: b.pressed ? 'pressed' : 'idle', driver: str(b.driver) });
  for (const r of list(status.relays)) out.push({ id: str(r.id), kind: 'relay', on: r.state === 'on', label: str(r.state, 'unknown'), driver: str(r.driver) });
  for (const n of list(status.inputs)) out.push({ id: str(n.id), kind: 'input', on: n.active === true, label: inputLabel(str(n.id), n.active === true), driver: str(n.driver) });
  for (const l of list(status.leds)) out.push({ id: str(l.id), kind: 'led', on: l.lit === true, label: l.lit ? 'lit' : 'off', driver: str(l.driver) });
  return out;
}

/** Doors from the `doors` section when it lists them (entries with a relay), else one per relay. */
export function doors(status: Status): DoorView[] {
  const relays = obj(status.relays);
  const inputs = obj(status.inputs);
  const relayOpen = (id: string) => obj(relays[id]).state === 'on';
  const d0 = obj(status.doors);
  const section = list(Array.isArray(status.doors) ? status.doors : (d0.list ?? d0.doors ?? [])).filter((d) => typeof d.relay === 'string');
  if (section.length) {
    return section.map((d) => {
      const relay = str(d.relay);
      const contact = str(d.contact) || null;
      const contactState = contact ? obj(inputs[contact]).active : undefined;
      return {
        relay,
        open: d.state === 'open' || d.open === true || relayOpen(relay),
        contact,
        contactOpen: typeof contactState === 'boolean' ? contactState : null,
      };
    });
  }
  return Object.keys(relays).map((relay) => ({ relay, open: relayOpen(relay), contact: null, contactOpen: null }));
}

/** Door-code lockout after wrong codes (doors.codes from the intercom). */
export function codeLock(status: Status): { locked: boolean; forS: number; failures: number } {
  const c = obj(obj(status.doors).codes);
  return { locked: c.locked === true, forS: num(c.lockedForS) ?? 0, failures: num(c.failures) ?? 0 };
}

export function buttonIds(status: Status): string[] {
  return list(status.buttons).map((b) => str(b.id));
}

export interface EventView {
  time: string;
  type: string;
  text: string;
}

/** An event as the panel lists it: its time, its type (for styling) and what happened, in words. */
export function eventView(e: unknown): EventView {
  const o = obj(e);
  const type = str(o.type, 'event');
  return { time: str(o.time), type, text: describeEvent({ ...o, time: str(o.time), type } as EventRecord) };
}

/** Applies a live message to the status; returns what changed (for re-rendering). */
export function applyMessage(
  state: { status: Status; events: unknown[] },
  msg: unknown,
  keepEvents = 50,
): 'snapshot' | 'event' | string | null {
  const m = obj(msg);
  if (m.type === 'snapshot') {
    state.status = obj(m.status);
    state.events = Array.isArray(m.events) ? m.events.slice(-keepEvents) : [];
    return 'snapshot';
  }
  if (m.type === 'delta' && typeof m.section === 'string') {
    state.status = { ...state.status, [m.section]: m.value };
    return m.section;
  }
  if (m.type === 'event') {
    state.events = [...state.events, m.event].slice(-keepEvents);
    return 'event';
  }
  return null;
}
