/**
 * A portier daemon (in this process) registered at the peer lab's Kamailio as user "door",
 * with a 440 Hz microphone and a WAV speaker, for the end-to-end tests.
 */
import { join } from 'node:path';
import { startLab, type Lab } from '../support/peers/index.js';
import { startTestDaemon, waitFor } from '../support/daemon.js';

export interface DoorLabOptions {
  basePort: number;
  phones: string[];
  call?: string[];
  mode?: 'parallel' | 'sequential';
  codecs?: string[];
  extra?: string;
}

export async function startDoorLab(o: DoorLabOptions) {
  const users: Record<string, string> = { door: 'doorpw' };
  for (const p of o.phones) users[p] = `pw${p}`;
  const lab: Lab = await startLab({ basePort: o.basePort, users });
  let door: Awaited<ReturnType<typeof startTestDaemon>> | undefined;
  try {
    const dev = lab.devicePorts;
    const toml = `
[sip]
registrar = "sip:${lab.registrar}"
user = "door"
password = "doorpw"
listen = "127.0.0.1:${dev.first}"
expires = 300
[media]
rtp_ports = "${dev.first + 10}-${dev.last}"
codecs = [${(o.codecs ?? ['pcmu', 'g722', 'opus']).map((c) => `"${c}"`).join(', ')}]
[audio]
capture = "tone:440"
playback = "wav:SPEAKER"
[intercom]
ring_timeout_s = 20
sequential_ring_s = 4
answer_delay_ms = 200
code_lockout_s = 30
[[buttons]]
id = "door"
call = [${(o.call ?? o.phones).map((c) => `"${c}"`).join(', ')}]
mode = "${o.mode ?? 'parallel'}"
[[relays]]
id = "door"
pulse_ms = 1500
[[doors]]
relay = "door"
codes = ["1234"]
${o.extra ?? ''}`;
    door = await startTestDaemon(toml.replace('SPEAKER', join(lab.dir, 'door-speaker.wav')));
    const d = door;
    await waitFor('portier registered', async () => (await (await d.api('/api/status')).json()).sip.registration === 'registered', 8000);
    return {
      lab,
      ...d,
      speakerWav: join(lab.dir, 'door-speaker.wav'),
      async status() {
        return (await d.api('/api/status')).json();
      },
      async events(limit = 50): Promise<{ type: string; [k: string]: unknown }[]> {
        return (await (await d.api(`/api/events?limit=${limit}`)).json()).events;
      },
      async stop() {
        await d.daemon.close();
        await lab.stop();
      },
    };
  } catch (err) {
    await door?.daemon.close();
    await lab.stop();
    throw err;
  }
}
