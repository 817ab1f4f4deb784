/**
 * ALSA device lists from `arecord -L` / `aplay -L`: a device name at the start of a line, its
 * description on the indented lines below. The parser never throws.
 */
import { execFile } from 'node:child_process';

export interface AlsaDevice {
  /** what goes after "alsa:" in config, e.g. "default" or "plughw:CARD=Device,DEV=0" */
  name: string;
  description: string;
}

export function parseAlsaDeviceList(text: string): AlsaDevice[] {
  const out: AlsaDevice[] = [];
  let cur: { name: string; lines: string[] } | undefined;
  const flush = () => {
    if (cur) out.push({ name: cur.name, description: cur.lines.join(' — ') });
    cur = undefined;
  };
  for (const raw of text.split(/\r?\n/)) {
    if (!raw.trim()) continue;
    if (/^\s/.test(raw)) {
      if (cur) cur.lines.push(raw.trim());
      continue;
    }
    // ALSA lib diagnostics can land on the same stream when stderr is merged; they are not devices
    if (/^ALSA lib /.test(raw) || /^(arecord|aplay): /.test(raw)) continue;
    // eslint-disable-next-line no-control-regex
    if (/[\u0000-\u001f\u007f]/.test(raw.trim())) continue;
    flush();
    cur = { name: raw.trim(), lines: [] };
  }
  flush();
  return out;
}

export interface AlsaListResult {
  devices: AlsaDevice[];
  /** set when the tool could not run or printed an error */
  error?: string;
}

/** Runs `arecord -L` (capture) or `aplay -L` (playback). */
export function listAlsaDevices(kind: 'capture' | 'playback', env?: NodeJS.ProcessEnv, timeoutMs = 5000): Promise<AlsaListResult> {
  const tool = kind === 'capture' ? 'arecord' : 'aplay';
  return new Promise((resolve) => {
    execFile(tool, ['-L'], { env: env ?? process.env, timeout: timeoutMs }, (err, stdout, stderr) => {
      const devices = parseAlsaDeviceList(String(stdout));
      if (err) {
        const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? `${tool} is not installed (apt install alsa-utils)` : String(stderr).trim() || err.message;
        resolve({ devices, error: reason });
        return;
      }
      resolve({ devices });
    });
  });
}
