/**
 * The libgpiod command-line tools, v1 (Debian 12, Raspberry Pi OS Bookworm: 1.6.x) and v2 (Debian
 * 13: 2.x), whose syntaxes differ (field guide audio-gpio-systemd (b)). Pure functions: argument
 * building for gpiomon/gpioset/gpioget/gpiofind, and parsers for their output that never throw.
 */
import { PortierError } from '../../daemon/util/errors.js';

export type GpiodMajor = 1 | 2;

export interface GpiodVersion {
  major: GpiodMajor;
  /** "1.6.3" */
  version: string;
}

export type Bias = 'pull-up' | 'pull-down' | 'disabled' | 'as-is';

/** A line as the tools address it: v1 always chip + offset; v2 chip + offset, or a name (chip optional). */
export interface LineAddress {
  chip?: string;
  offset?: number;
  name?: string;
}

export interface MonitorEvent {
  offset?: number;
  name?: string;
  /** true = the line became active (rising edge of the logical value, -l already applied) */
  rising: boolean;
  /** the tool's timestamp in seconds, if printed */
  timestamp?: number;
}

/** First line of `gpioset --version`: "gpioset (libgpiod) v1.6.3" (v2: "gpioset (libgpiod) v2.1.3"). */
export function parseGpiodVersion(text: string): GpiodVersion | null {
  const m = /\(libgpiod\)\s+v?(\d+)\.(\d+)(?:\.(\d+))?/.exec(text) ?? /\bv(\d+)\.(\d+)(?:\.(\d+))?/.exec(text);
  if (!m) return null;
  const major = Number(m[1]);
  if (major !== 1 && major !== 2) return null;
  return { major, version: `${m[1]}.${m[2]}${m[3] !== undefined ? `.${m[3]}` : ''}` };
}

/** "0", 0, "gpiochip0", "/dev/gpiochip0" → the form both versions accept ("gpiochip0", or the path). */
export function normalizeChip(chip: string | number | undefined): string {
  if (chip === undefined || chip === '') return 'gpiochip0';
  const s = String(chip).trim();
  return /^\d+$/.test(s) ? `gpiochip${s}` : s;
}

/** A config `line` is an offset when it is a number or a string of digits, otherwise a line name. */
export function lineAddress(chip: string | number | undefined, line: number | string | undefined): LineAddress {
  if (line === undefined || line === '') throw new PortierError('HAL_DRIVER_ERROR', 'a gpiod line needs `line` (an offset like 17 or a line name like "GPIO17")');
  if (typeof line === 'number' || /^\d+$/.test(line.trim())) {
    return { chip: normalizeChip(chip), offset: Number(line) };
  }
  return { chip: chip === undefined || chip === '' ? undefined : normalizeChip(chip), name: line.trim() };
}

export function describeLine(a: LineAddress): string {
  if (a.name !== undefined) return a.chip ? `line "${a.name}" on ${a.chip}` : `line "${a.name}"`;
  return `line ${a.offset} on ${a.chip ?? 'gpiochip0'}`;
}

function v1Target(a: LineAddress): string[] {
  if (a.offset === undefined) throw new PortierError('HAL_DRIVER_ERROR', `libgpiod v1 needs a line offset; resolve "${a.name}" first`);
  return [normalizeChip(a.chip), String(a.offset)];
}

function v2Target(a: LineAddress): string[] {
  const line = a.offset !== undefined ? String(a.offset) : a.name!;
  return a.chip || a.offset !== undefined ? ['-c', normalizeChip(a.chip), line] : [line];
}

function v2LineToken(a: LineAddress): string {
  return a.offset !== undefined ? String(a.offset) : a.name!;
}

/** Custom formats, so both versions print "<offset> <edge> <seconds>" (v1 %e: 1 rising 0 falling; v2: 1 rising 2 falling). */
export const MONITOR_FORMAT: Record<GpiodMajor, string> = { 1: '%o %e %s.%n', 2: '%o %e %S' };

export function monitorArgs(v: GpiodMajor, a: LineAddress, o: { activeLow: boolean; bias: Bias }): string[] {
  const args: string[] = [];
  if (v === 1) {
    args.push('-b'); // v1: line-buffered output, needed when stdout is a pipe
    if (o.activeLow) args.push('-l');
    if (o.bias !== 'as-is') args.push('-B', o.bias === 'disabled' ? 'disable' : o.bias);
    args.push('-F', MONITOR_FORMAT[1], ...v1Target(a));
  } else {
    if (o.activeLow) args.push('-l');
    if (o.bias !== 'as-is') args.push('-b', o.bias);
    args.push('-e', 'both', '-F', MONITOR_FORMAT[2], ...v2Target(a));
  }
  return args;
}

/** gpioset that keeps holding the value until it is signalled (v1 -m signal; v2 holds by default). */
export function setArgs(v: GpiodMajor, a: LineAddress, active: boolean, activeLow: boolean): string[] {
  const value = active ? '1' : '0';
  if (v === 1) {
    const [chip, offset] = v1Target(a);
    return ['-m', 'signal', ...(activeLow ? ['-l'] : []), chip!, `${offset}=${value}`];
  }
  const chipArgs = a.chip || a.offset !== undefined ? ['-c', normalizeChip(a.chip)] : [];
  return [...(activeLow ? ['-l'] : []), ...chipArgs, `${v2LineToken(a)}=${value}`];
}

export function getArgs(v: GpiodMajor, a: LineAddress, o: { activeLow: boolean; bias: Bias }): string[] {
  if (v === 1) {
    return [...(o.activeLow ? ['-l'] : []), ...(o.bias !== 'as-is' ? ['-B', o.bias === 'disabled' ? 'disable' : o.bias] : []), ...v1Target(a)];
  }
  return ['--numeric', ...(o.activeLow ? ['-l'] : []), ...(o.bias !== 'as-is' ? ['-b', o.bias] : []), ...v2Target(a)];
}

/** gpioget output: v1 "1"/"0"; v2 --numeric "1"/"0"; v2 default "\"17\"=active". */
export function parseGetOutput(text: string): boolean | null {
  const t = text.trim();
  if (t === '1' || t === '0') return t === '1';
  const m = /=\s*(active|inactive)\b/.exec(t);
  if (m) return m[1] === 'active';
  return null;
}

/** v1 `gpiofind NAME` prints "gpiochip0 17". */
export function parseGpiofind(text: string): { chip: string; offset: number } | null {
  const m = /^(\S+)\s+(\d+)\s*$/m.exec(text);
  return m ? { chip: m[1]!, offset: Number(m[2]) } : null;
}

/**
 * One line of gpiomon output. Accepts our custom format and, for robustness, both default formats:
 * v1 "event:  RISING EDGE offset: 17 timestamp: [1700000000.123456789]",
 * v2 "1700000000.123456789\trising\tgpiochip0 17" (or "\"NAME\"").
 */
export function parseMonitorLine(v: GpiodMajor, line: string): MonitorEvent | null {
  const t = line.trim();
  if (!t) return null;
  let m = /^(\d+) ([012]) (\d+(?:\.\d+)?)$/.exec(t);
  if (m) {
    const code = Number(m[2]);
    if (v === 1 && code === 2) return null;
    if (v === 2 && code === 0) return null;
    return { offset: Number(m[1]), rising: code === 1, timestamp: Number(m[3]) };
  }
  m = /^event:\s+(RISING|FALLING) EDGE offset:\s*(\d+)(?: timestamp: \[\s*(\d+(?:\.\d+)?)\])?/.exec(t);
  if (m) return { offset: Number(m[2]), rising: m[1] === 'RISING', timestamp: m[3] ? Number(m[3]) : undefined };
  m = /^(\d+(?:\.\d+)?)\s+(rising|falling)\s+(?:(\S+)\s+(\d+)|"([^"]*)"|(\S+))\s*$/.exec(t);
  if (m) {
    const ev: MonitorEvent = { rising: m[2] === 'rising', timestamp: Number(m[1]) };
    if (m[4] !== undefined) ev.offset = Number(m[4]);
    else ev.name = m[5] ?? m[6];
    return ev;
  }
  return null;
}

/**
 * Turns a tool's failure into a clear error that names the line. Messages from libgpiod:
 * v2 "cannot find GPIO chip character device 'X'", "cannot find line 'X'", "offset 5 is out of
 * range on chip 'X'", "unable to request lines on chip 'X': Device or resource busy";
 * v1 "unable to open gpiochip9: No such file or directory", "error setting the GPIO line values:
 * Device or resource busy", "error waiting for events: Invalid argument".
 */
export function classifyGpiodFailure(tool: string, a: LineAddress, stderr: string): PortierError {
  const where = describeLine(a);
  const last =
    stderr
      .trim()
      .split('\n')
      .filter((l) => l.trim())
      .slice(-1)[0]
      ?.trim() ?? '';
  if (/Permission denied/i.test(stderr)) {
    return new PortierError('HAL_DRIVER_ERROR', `no permission for GPIO ${where}: the user needs the "gpio" group (${tool}: ${last})`);
  }
  if (/busy/i.test(stderr)) {
    return new PortierError('HAL_DRIVER_ERROR', `GPIO ${where} is busy: another program holds it (see "gpioinfo"; ${tool}: ${last})`);
  }
  if (/cannot find GPIO chip|unable to open|No such file or directory|No such device/i.test(stderr)) {
    return new PortierError('HAL_DRIVER_ERROR', `GPIO chip ${a.chip ?? '(any)'} not found for ${where} (list chips with "gpiodetect"; ${tool}: ${last})`);
  }
  if (/cannot find line|out of range|Invalid argument|not found/i.test(stderr)) {
    return new PortierError('HAL_DRIVER_ERROR', `GPIO ${where} does not exist (list lines with "gpioinfo"; ${tool}: ${last})`);
  }
  return new PortierError('HAL_DRIVER_ERROR', `GPIO ${where}: ${tool} failed${last ? `: ${last}` : ''}`);
}
