/**
 * The gpiod driver inside the daemon: the door button is a (fake) gpiomon line, the door relay a
 * (fake) gpioset line. A press edge on the line calls the phone through the lab's Kamailio; the
 * phone keys the door code; the relay line goes to 1 and back to 0 after the pulse.
 */
import { appendFileSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, test } from 'vitest';
import { startLab } from '../support/peers/index.js';
import { startTestDaemon, waitFor } from '../support/daemon.js';

const FIX = resolve(__dirname, '../fixtures/gpiod');

describe('daemon with the gpiod driver (fake libgpiod v1 tools)', () => {
  test('a press on the button line rings the phone; the door code pulses the relay line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'portier-gpiod-daemon-'));
    for (const t of ['gpiomon', 'gpioset', 'gpioget', 'gpiofind']) symlinkSync(join(FIX, 'fake-gpiod'), join(dir, t));
    const feed = join(dir, 'feed');
    writeFileSync(feed, '');
    const log = join(dir, 'argv.log');
    const saved = { ...process.env };
    Object.assign(process.env, { PATH: `${dir}:${process.env.PATH}`, FAKE_GPIOD_VERSION: '1.6.3', FAKE_GPIOD_DIR: FIX, FAKE_GPIOD_LOG: log, FAKE_GPIOMON_FEED: feed });
    const lab = await startLab({ basePort: 34000, users: { door: 'doorpw', '200': 'pw200' } });
    let door: Awaited<ReturnType<typeof startTestDaemon>> | undefined;
    const relayValues = () =>
      (existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n') : [])
        .map((l) => l.split(' '))
        .filter((c) => c[0] === 'gpioset' && c[2] !== '--version')
        .map((c) => c.at(-1));
    try {
      const dev = lab.devicePorts;
      door = await startTestDaemon(`
[sip]
registrar = "sip:${lab.registrar}"
user = "door"
password = "doorpw"
listen = "127.0.0.1:${dev.first}"
[media]
rtp_ports = "${dev.first + 10}-${dev.last}"
codecs = ["pcmu"]
[[buttons]]
id = "door"
driver = "gpiod"
chip = "0"
line = 17
active_low = true
bias = "pull-up"
debounce_ms = 30
call = ["200"]
[[relays]]
id = "door"
driver = "gpiod"
chip = "0"
line = 27
active_low = true
pulse_ms = 400
[[doors]]
relay = "door"
codes = ["1234"]
`);
      const d = door;
      await waitFor('registered', async () => (await (await d.api('/api/status')).json()).sip.registration === 'registered', 8000);
      expect(relayValues()).toEqual(['27=0']); // claimed and held inactive from the start
      const gpiomon = readFileSync(log, 'utf8').split('\n').find((l) => l.startsWith('gpiomon '))!;
      expect(gpiomon.split(' ').slice(2).join(' ')).toBe('-b -l -B pull-up -F %o %e %s.%n gpiochip0 17');

      const phone = await lab.phone({ user: '200', tone: 1000, codecs: ['pcmu'], answer: 'auto' });
      await phone.waitRegistered();
      appendFileSync(feed, '17 1 100.000000000\n17 0 100.002000000\n17 1 100.004000000\n'); // press with bounce
      await phone.waitEvent('CALL_ESTABLISHED', 5000);
      const status = await (await d.api('/api/status')).json();
      expect(status.buttons.door).toMatchObject({ pressed: true, driver: 'gpiod' });
      await phone.sendDtmf('1234#');
      await waitFor('relay pulsed on and off', () => {
        const v = relayValues();
        return v.length >= 3 && v.at(-1) === '27=0' ? v : null;
      }, 6000);
      expect(relayValues()).toEqual(['27=0', '27=1', '27=0']);
      const types = d.daemon.events.recent(50).map((e) => e.type);
      expect(types).toContain('door_open');
      expect(types.filter((t) => t === 'ring')).toHaveLength(1); // the bounce did not ring twice
      await phone.hangup();
    } finally {
      await door?.daemon.close();
      await lab.stop();
      for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
      Object.assign(process.env, saved);
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
