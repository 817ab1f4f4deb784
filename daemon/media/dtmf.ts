/**
 * DTMF: RFC 4733 telephone-event payloads (receive and send) and SIP INFO bodies
 * (application/dtmf-relay, application/dtmf). Pure: no sockets, no clock of its own.
 */

export type DtmfDigit = '0' | '1' | '2' | '3' | '4' | '5' | '6' | '7' | '8' | '9' | '*' | '#' | 'A' | 'B' | 'C' | 'D';

export interface DtmfEvent {
  digit: DtmfDigit;
  via: 'rfc4733' | 'info';
  /** duration in ms when known (INFO Duration=, or the RFC 4733 duration seen so far) */
  durationMs?: number;
}

// RFC 4733 3.2: events 0-9, *, #, A-D are codes 0..15.
const DIGITS: readonly DtmfDigit[] = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '*', '#', 'A', 'B', 'C', 'D'];

export function eventCodeToDigit(code: number): DtmfDigit | null {
  return code >= 0 && code < 16 ? DIGITS[code] : null;
}

export function digitToEventCode(digit: string): number | null {
  const i = DIGITS.indexOf(digit.toUpperCase() as DtmfDigit);
  return i < 0 ? null : i;
}

export interface TelephoneEvent {
  event: number;
  end: boolean;
  volume: number; // 0..63, -dBm0
  duration: number; // RTP timestamp units
}

export type TelephoneEventParse = { ok: true; value: TelephoneEvent } | { ok: false; reason: 'too-short' };

/** RFC 4733 2.3: event(8) | E(1) R(1) volume(6) | duration(16). Never throws. */
export function parseTelephoneEvent(payload: Uint8Array): TelephoneEventParse {
  if (payload.length < 4) return { ok: false, reason: 'too-short' };
  return {
    ok: true,
    value: {
      event: payload[0],
      end: (payload[1] & 0x80) !== 0,
      volume: payload[1] & 0x3f,
      duration: (payload[2] << 8) | payload[3],
    },
  };
}

export function serializeTelephoneEvent(ev: TelephoneEvent): Uint8Array {
  const d = Math.min(0xffff, Math.max(0, Math.round(ev.duration)));
  return new Uint8Array([ev.event & 0xff, (ev.end ? 0x80 : 0) | (ev.volume & 0x3f), d >> 8, d & 0xff]);
}

export interface DtmfReceiverStats {
  digits: number;
  /** packets belonging to an event already reported (updates, redundant ends, retransmissions) */
  repeats: number;
  malformed: number;
  /** events other than 0-9, *, #, A-D (ignored) */
  unsupported: number;
}

/**
 * RFC 4733 receiver: one digit per key press. An event is identified by its RTP timestamp
 * (2.5.1.2: all packets of one event carry the event's start timestamp; a new event has a new
 * timestamp). The digit is reported on the first packet seen for a new timestamp — with or without
 * the marker bit, so a lost start packet (first packet already has E) still yields the digit once;
 * updates, the three redundant end packets and retransmissions with the same timestamp are ignored.
 */
export class DtmfReceiver {
  private readonly clockRate: number;
  /** recent event timestamps per SSRC, newest last (bounded) */
  private recent: { ssrc: number; ts: number; code: number; ended: boolean; maxDuration: number }[] = [];
  private st: DtmfReceiverStats = { digits: 0, repeats: 0, malformed: 0, unsupported: 0 };

  constructor(clockRate = 8000) {
    this.clockRate = clockRate;
  }

  /** Feed one telephone-event RTP packet; returns the digit when it starts a new key press. */
  receive(pkt: { ssrc: number; timestamp: number; marker: boolean; payload: Uint8Array }): DtmfEvent | null {
    const parsed = parseTelephoneEvent(pkt.payload);
    if (!parsed.ok) {
      this.st.malformed++;
      return null;
    }
    const ev = parsed.value;
    const known = this.recent.find((r) => r.ssrc === pkt.ssrc && r.ts === pkt.timestamp);
    if (known) {
      known.ended ||= ev.end;
      known.maxDuration = Math.max(known.maxDuration, ev.duration);
      this.st.repeats++;
      return null;
    }
    const last = this.recent[this.recent.length - 1];
    // RFC 4733 2.5.1.3: a long event (> 0xFFFF duration) continues in a new segment with a new
    // timestamp and no marker; it is the same key press.
    const continuation =
      last !== undefined &&
      last.ssrc === pkt.ssrc &&
      !last.ended &&
      !pkt.marker &&
      last.code === ev.event &&
      last.maxDuration >= 0xff00 &&
      ((pkt.timestamp - last.ts) >>> 0) <= 0x20000;
    this.recent.push({ ssrc: pkt.ssrc, ts: pkt.timestamp, code: ev.event, ended: ev.end, maxDuration: ev.duration });
    if (this.recent.length > 8) this.recent.shift();
    if (continuation) {
      this.st.repeats++;
      return null;
    }
    const digit = eventCodeToDigit(ev.event);
    if (digit === null) {
      this.st.unsupported++;
      return null;
    }
    this.st.digits++;
    const durationMs = ev.duration > 0 ? Math.round((ev.duration * 1000) / this.clockRate) : undefined;
    return { digit, via: 'rfc4733', durationMs };
  }

  reset(): void {
    this.recent = [];
  }

  stats(): DtmfReceiverStats {
    return { ...this.st };
  }
}

export interface DtmfPacketOut {
  payload: Uint8Array;
  /** the event's start timestamp (same for all packets of the event) */
  timestamp: number;
  marker: boolean;
}

export interface DtmfSenderOptions {
  clockRate?: number;
  /** how often an update packet goes out, ms (default 20, one per media tick as most phones do; 50 also works) */
  packetIntervalMs?: number;
  /** default key-press length */
  durationMs?: number;
  /** pause between queued digits */
  gapMs?: number;
  /** -dBm0, RFC 4733 2.3.4 */
  volume?: number;
}

interface SendingEvent {
  code: number;
  timestamp: number;
  elapsedMs: number;
  lastSentMs: number;
  durationMs: number;
}

/**
 * RFC 4733 sender, driven by the media clock: call `tick(tickMs, rtpTimestampNow)` once per media
 * tick; it returns the packets to send on this tick. The first packet of an event has the marker
 * bit, updates carry the growing duration, and the end is sent three times (2.5.1.4).
 */
export class DtmfSender {
  private readonly rate: number;
  private readonly intervalMs: number;
  private readonly defaultDuration: number;
  private readonly gapMs: number;
  private readonly volume: number;
  private queue: { code: number; durationMs: number }[] = [];
  private current: SendingEvent | null = null;
  private gapLeft = 0;

  constructor(opts: DtmfSenderOptions = {}) {
    this.rate = opts.clockRate ?? 8000;
    this.intervalMs = opts.packetIntervalMs ?? 20;
    this.defaultDuration = opts.durationMs ?? 160;
    this.gapMs = opts.gapMs ?? 80;
    this.volume = opts.volume ?? 10;
  }

  /** Queue digits ("1234#"); unknown characters are rejected with a reason, nothing queued. */
  send(digits: string, durationMs?: number): { ok: true } | { ok: false; reason: string } {
    const codes: number[] = [];
    for (const ch of digits) {
      const c = digitToEventCode(ch);
      if (c === null) return { ok: false, reason: `not a DTMF digit: ${JSON.stringify(ch)}` };
      codes.push(c);
    }
    for (const code of codes) this.queue.push({ code, durationMs: Math.max(40, durationMs ?? this.defaultDuration) });
    return { ok: true };
  }

  /** True while an event is being sent (audio should pause, RFC 4733 2.5.1.1). */
  get busy(): boolean {
    return this.current !== null;
  }

  get pending(): number {
    return this.queue.length + (this.current ? 1 : 0);
  }

  tick(tickMs: number, rtpTimestampNow: number): DtmfPacketOut[] {
    if (!this.current) {
      if (this.gapLeft > 0) {
        this.gapLeft -= tickMs;
        return [];
      }
      const next = this.queue.shift();
      if (!next) return [];
      this.current = { code: next.code, timestamp: rtpTimestampNow >>> 0, elapsedMs: 0, lastSentMs: 0, durationMs: next.durationMs };
      // RFC 4733 2.5.1.2: the first packet of an event has the marker bit; it goes out at once,
      // its duration counted from the event's start (0).
      return [this.packet(false, true)];
    }
    const cur = this.current;
    cur.elapsedMs += tickMs;
    if (cur.elapsedMs >= cur.durationMs) {
      // RFC 4733 2.5.1.4: the final packet is sent three times.
      const out = [this.packet(true, false), this.packet(true, false), this.packet(true, false)];
      this.current = null;
      this.gapLeft = this.gapMs;
      return out;
    }
    if (cur.elapsedMs - cur.lastSentMs >= this.intervalMs) {
      cur.lastSentMs = cur.elapsedMs;
      return [this.packet(false, false)];
    }
    return [];
  }

  private packet(end: boolean, marker: boolean): DtmfPacketOut {
    const cur = this.current!;
    const durationSamples = Math.round((cur.elapsedMs * this.rate) / 1000);
    return {
      payload: serializeTelephoneEvent({ event: cur.code, end, volume: this.volume, duration: durationSamples }),
      timestamp: cur.timestamp,
      marker,
    };
  }

  clear(): void {
    this.queue = [];
    this.current = null;
    this.gapLeft = 0;
  }
}

export type DtmfInfoParse = { ok: true; event: DtmfEvent } | { ok: false; reason: string };

/**
 * SIP INFO DTMF bodies (not standardised; what phones send):
 * - application/dtmf-relay: "Signal=5\r\nDuration=160" (Signal may be 0-9 * # A-D, or 10/11 for * #)
 * - application/dtmf: "5" (a digit, or an event code 0-15)
 */
export function parseDtmfInfo(contentType: string, body: string | Uint8Array): DtmfInfoParse {
  const text = typeof body === 'string' ? body : new TextDecoder().decode(body);
  const type = contentType.split(';')[0].trim().toLowerCase();
  if (type === 'application/dtmf-relay') {
    let signal: string | undefined;
    let duration: number | undefined;
    for (const line of text.split(/\r?\n|\r/)) {
      const m = /^\s*([A-Za-z-]+)\s*[=:]\s*(.*?)\s*$/.exec(line);
      if (!m) continue;
      const key = m[1].toLowerCase();
      if (key === 'signal') signal = m[2];
      else if (key === 'duration') {
        const d = Number(m[2]);
        if (Number.isFinite(d) && d >= 0) duration = d;
      }
    }
    if (signal === undefined) return { ok: false, reason: 'no Signal= line' };
    const digit = infoSignalToDigit(signal);
    if (!digit) return { ok: false, reason: `unknown signal ${JSON.stringify(signal)}` };
    return { ok: true, event: { digit, via: 'info', durationMs: duration } };
  }
  if (type === 'application/dtmf') {
    const digit = infoSignalToDigit(text.trim());
    if (!digit) return { ok: false, reason: `unknown signal ${JSON.stringify(text.trim())}` };
    return { ok: true, event: { digit, via: 'info' } };
  }
  return { ok: false, reason: `unsupported content type ${JSON.stringify(contentType)}` };
}

function infoSignalToDigit(s: string): DtmfDigit | null {
  if (s.length === 1) {
    const c = digitToEventCode(s);
    return c === null ? null : DIGITS[c];
  }
  if (/^\d{1,2}$/.test(s)) return eventCodeToDigit(Number(s));
  return null;
}
