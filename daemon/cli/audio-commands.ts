/**
 * `portier audio-test` (record a few seconds from the microphone, report the level, play it back
 * through the speaker) and `portier audio-devices` (the ALSA devices arecord -L / aplay -L know),
 * for installers checking a sound card before the first call.
 */
import { parseArgs } from 'node:util';
import { loadConfigFile, formatIssues } from '../../config/load.js';
import { AlsaCapture, AlsaPlayback } from '../../hal/audio/alsa.js';
import { listAlsaDevices } from '../../hal/audio/alsa-devices.js';
import { splitDriver } from '../../hal/registry.js';
import { errorMessage, PortierError } from '../util/errors.js';

export interface AudioCommandIo {
  out(text: string): void;
  err(text: string): void;
  /** environment for arecord/aplay (default process.env) */
  env?: NodeJS.ProcessEnv;
}

const stdio: AudioCommandIo = {
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
};

const TEST_USAGE = `usage: portier audio-test [--device DEV | --capture DEV --playback DEV] [--config FILE]
                          [--seconds N] [--rate 8000|16000|48000] [--no-playback]
  DEV is an ALSA device name (default, plughw:1,0, ...; see "portier audio-devices").
  --config takes alsa:DEVICE drivers and the rate from a portier config.
`;

const TICK_MS = 20;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Peak and RMS in dBFS (−Infinity for digital silence). */
export function levels(pcm: Int16Array): { peakDbfs: number; rmsDbfs: number } {
  let peak = 0;
  let sum = 0;
  for (const s of pcm) {
    const a = Math.abs(s);
    if (a > peak) peak = a;
    sum += s * s;
  }
  const rms = pcm.length ? Math.sqrt(sum / pcm.length) : 0;
  const db = (v: number) => (v > 0 ? 20 * Math.log10(v / 32768) : -Infinity);
  return { peakDbfs: db(peak), rmsDbfs: db(rms) };
}

const fmtDb = (v: number) => (Number.isFinite(v) ? `${v.toFixed(1)} dBFS` : 'silence');

function alsaDeviceOf(spec: string, what: string): string {
  const { name, arg } = splitDriver(spec);
  if (name !== 'alsa') throw new PortierError('CONFIG_INVALID', `the config's ${what} driver is "${spec}", not alsa:DEVICE; pass --${what} DEV`);
  return arg;
}

export async function audioTestCommand(args: string[], io: AudioCommandIo = stdio): Promise<number> {
  let v;
  try {
    v = parseArgs({
      args,
      options: {
        device: { type: 'string' },
        capture: { type: 'string' },
        playback: { type: 'string' },
        config: { type: 'string' },
        seconds: { type: 'string', default: '3' },
        rate: { type: 'string' },
        'no-playback': { type: 'boolean', default: false },
      },
      strict: true,
    }).values;
  } catch (err) {
    io.err(`${errorMessage(err)}\n${TEST_USAGE}`);
    return 2;
  }
  let capDev = v.capture ?? v.device ?? 'default';
  let pbDev = v.playback ?? v.device ?? 'default';
  let rate = 16000;
  if (v.config) {
    const r = loadConfigFile(v.config);
    if (!r.ok) {
      io.err(`${v.config}: invalid config\n${formatIssues(r.issues)}\n`);
      return 2;
    }
    try {
      if (!v.capture && !v.device) capDev = alsaDeviceOf(r.config.audio.capture, 'capture');
      if (!v.playback && !v.device) pbDev = alsaDeviceOf(r.config.audio.playback, 'playback');
    } catch (err) {
      io.err(`${errorMessage(err)}\n`);
      return 2;
    }
    rate = r.config.audio.sample_rate;
  }
  if (v.rate !== undefined) rate = Number(v.rate);
  const seconds = Number(v.seconds);
  if (![8000, 16000, 48000].includes(rate) || !(seconds > 0 && seconds <= 30)) {
    io.err(`--rate must be 8000, 16000 or 48000 and --seconds between 0 and 30\n${TEST_USAGE}`);
    return 2;
  }

  const frame = (rate * TICK_MS) / 1000;
  const frames = Math.ceil((seconds * 1000) / TICK_MS);
  const cap = new AlsaCapture({ device: capDev, sampleRate: rate, env: io.env });
  const recorded = new Int16Array(frames * frame);
  io.out(`Recording ${seconds} s from ALSA device "${capDev}" at ${rate} Hz — speak into the microphone now.\n`);
  try {
    await cap.open();
  } catch (err) {
    io.err(`capture failed: ${errorMessage(err)}\n`);
    return 1;
  }
  let next = performance.now();
  cap.read(frame); // start from fresh audio
  for (let i = 0; i < frames; i++) {
    next += TICK_MS;
    await sleep(Math.max(0, next - performance.now()));
    recorded.set(cap.read(frame), i * frame);
  }
  const cs = cap.stats();
  await cap.close();
  const lv = levels(recorded);
  io.out(`Microphone: peak ${fmtDb(lv.peakDbfs)}, rms ${fmtDb(lv.rmsDbfs)}; capture underruns ${cs.underruns}, overruns ${cs.overruns}, device xruns ${cs.deviceXruns}, restarts ${cs.restarts}\n`);
  if (lv.peakDbfs < -60) {
    io.out('Warning: the recording is (almost) silent. Check the capture device, the microphone wiring and the capture level (alsamixer -c CARD, F4).\n');
  } else if (lv.peakDbfs > -0.5) {
    io.out('Warning: the recording clips. Lower the capture gain (alsamixer).\n');
  }
  if (cs.restarts > 0 && cs.lastError) io.out(`Capture restarted: ${cs.lastError}\n`);
  if (v['no-playback']) return 0;

  io.out(`Playing it back on ALSA device "${pbDev}".\n`);
  const pb = new AlsaPlayback({ device: pbDev, sampleRate: rate, env: io.env });
  try {
    await pb.open();
  } catch (err) {
    io.err(`playback failed: ${errorMessage(err)}\n`);
    return 1;
  }
  next = performance.now();
  for (let i = 0; i < frames; i++) {
    pb.write(recorded.subarray(i * frame, (i + 1) * frame));
    next += TICK_MS;
    await sleep(Math.max(0, next - performance.now()));
  }
  const ps = pb.stats();
  await pb.close();
  io.out(
    `Speaker: buffer latency avg ${ps.latencyAvgMs.toFixed(1)} ms (max ${ps.latencyMaxMs.toFixed(1)} ms); underruns ${ps.underruns}, dropped frames ${ps.droppedFrames}, device xruns ${ps.deviceXruns}, restarts ${ps.restarts}\n`,
  );
  return 0;
}

export async function audioDevicesCommand(args: string[], io: AudioCommandIo = stdio): Promise<number> {
  let v;
  try {
    v = parseArgs({ args, options: { json: { type: 'boolean', default: false } }, strict: true }).values;
  } catch (err) {
    io.err(`${errorMessage(err)}\nusage: portier audio-devices [--json]\n`);
    return 2;
  }
  const [capture, playback] = await Promise.all([listAlsaDevices('capture', io.env), listAlsaDevices('playback', io.env)]);
  if (v.json) {
    io.out(`${JSON.stringify({ capture, playback }, null, 2)}\n`);
  } else {
    for (const [title, list, key] of [
      ['Capture devices (audio.capture = "alsa:NAME")', capture, 'capture'],
      ['Playback devices (audio.playback = "alsa:NAME")', playback, 'playback'],
    ] as const) {
      io.out(`${title}:\n`);
      if (list.error) io.out(`  (${key} list failed: ${list.error})\n`);
      if (!list.devices.length && !list.error) io.out('  (none)\n');
      for (const d of list.devices) io.out(`  ${d.name}${d.description ? `\n      ${d.description}` : ''}\n`);
    }
    io.out('Prefer plughw:CARD=…,DEV=… (converts rate and format) over hw:…; "default" follows the system default.\n');
  }
  return capture.error && playback.error ? 1 : 0;
}
