/**
 * The event log in words, for people: the `--pretty` log and the panel say "Door opened by code"
 * where the JSON says `{"type":"door_open","by":"code"}`. Pure; unknown fields are ignored and an
 * unknown type still reads as something. No Node imports: the panel's page bundles it too.
 */

/** An event-log entry as read here (LoggedEvent fits; the panel's page passes what it received). */
export interface EventRecord {
  time: string;
  type: string;
  [detail: string]: unknown;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v.length ? v : typeof v === 'number' ? String(v) : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

/** 75 → "1 min 15 s", 8 → "8 s" */
export function duration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  return s % 60 ? `${m} min ${s % 60} s` : `${m} min`;
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

const OPENED_BY: Record<string, string> = {
  code: 'by code',
  api: 'from the API',
  button: 'by the exit button',
  panel: 'from the panel',
  mqtt: 'from Home Assistant (MQTT)',
};

export function describeEvent(e: EventRecord): string {
  switch (e.type) {
    case 'ring': {
      const all = Array.isArray(e.targets) ? e.targets.map(String) : [];
      const targets = all.filter((t) => t !== 'panel');
      const panel = all.length > targets.length ? ' and the panel' : '';
      const phones = targets.length > 1 ? `${targets.length} phones` : targets.length === 1 ? (panel ? '1 phone' : targets[0]) : '';
      const mode = all.length > 1 ? `, ${str(e.mode) ?? 'parallel'}` : '';
      const who = all.length ? ` (${phones ? phones + panel : 'the panel'}${mode})` : '';
      return `Rang the flat${who}${str(e.button) && e.button !== 'door' ? ` from button ${str(e.button)}` : ''}`;
    }
    case 'answer':
      return e.direction === 'incoming'
        ? `Answered a call from ${str(e.peer) ?? 'the PBX'}${str(e.codec) ? ` (${str(e.codec)})` : ''}`
        : `${e.peer === 'panel' ? 'Answered in the panel' : `${str(e.peer) ?? 'The flat'} answered`}${str(e.codec) ? ` (${str(e.codec)})` : ''}`;
    case 'hangup': {
      const d = num(e.duration_s);
      const by = e.by === 'local' ? ' by the door' : e.by === 'remote' ? ' by the phone' : '';
      return `Call ended${d !== undefined ? ` after ${duration(d)}` : ''}${by}${str(e.reason) ? `: ${str(e.reason)}` : ''}`;
    }
    case 'door_open': {
      const how = OPENED_BY[str(e.by) ?? ''] ?? (str(e.by) ? `by ${str(e.by)}` : '');
      const door = str(e.relay) && e.relay !== 'door' ? `Door ${str(e.relay)}` : 'Door';
      return `${door} opened${how ? ` ${how}` : ''}${str(e.user) ? ` (${str(e.user)})` : ''}`;
    }
    case 'code_failed':
      if (e.locked) return `Door code refused: codes are locked for ${duration(num(e.locked_for_s) ?? 0)} more`;
      return `Wrong door code${num(e.failures) !== undefined ? ` (${plural(num(e.failures)!, 'failure')} in a row)` : ''}`;
    case 'lockout':
      return `Door codes locked for ${duration(num(e.seconds) ?? 0)} after ${plural(num(e.failures) ?? 0, 'wrong code')}`;
    case 'registration':
      return e.state === 'registered'
        ? 'Registered with the PBX'
        : `Registration ${str(e.state) ?? 'changed'}${str(e.reason) ? `: ${str(e.reason)}` : ''}`;
    case 'rejected_call':
      return `Refused a call from ${str(e.from) ?? str(e.source) ?? 'an unknown caller'}${num(e.status) ? ` (${num(e.status)})` : ''}${str(e.reason) ? `: ${str(e.reason)}` : ''}${num(e.count) && num(e.count)! > 1 ? ` — ${num(e.count)} times` : ''}`;
    case 'incoming_call':
      return `Call from ${str(e.from) ?? 'the PBX'}`;
    case 'call_failed':
      return `Could not reach the flat${str(e.reason) ? `: ${str(e.reason)}` : ''}`;
    case 'door_held_open':
      return `Door ${str(e.door) ?? ''} held open for ${duration(num(e.seconds) ?? 0)}`.replace('  ', ' ');
    case 'door_closed':
      return `Door ${str(e.door) ?? ''} closed`.replace('  ', ' ');
    case 'button':
      return `Button ${str(e.button) ?? ''} pressed${str(e.reason) ? `: ${str(e.reason)}` : ''}`.replace('  ', ' ');
    case 'started':
      return `portier ${str(e.version) ?? ''} started`.replace('  ', ' ');
    case 'stopped':
      return 'portier stopped';
    default:
      return String((e as { type: unknown }).type).replace(/_/g, ' ');
  }
}
