import { describe, test, expect } from 'vitest';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { createSocket } from 'node:dgram';
import { tmpdir } from 'node:os';
import { startLab } from '../support/peers/lab.js';
import { phonePorts } from '../support/peers/ports.js';

const BASE = 12000;

function bindUdp(port: number) {
  const sock = createSocket('udp4');
  return new Promise<typeof sock>((resolve, reject) => {
    sock.once('error', reject);
    sock.bind(port, '127.0.0.1', () => resolve(sock));
  });
}

describe('peer lab lifecycle', () => {
  test('stop removes the state dir and is safe to call twice; keep() leaves it with the logs', async () => {
    const a = await startLab({ basePort: BASE, users: { '100': 'pw100' } });
    await a.stop();
    await a.stop();
    expect(existsSync(a.dir)).toBe(false);

    const b = await startLab({ basePort: BASE, users: { '100': 'pw100' } });
    b.keep();
    await b.stop();
    try {
      expect(readdirSync(`${b.dir}/kamailio`)).toEqual(expect.arrayContaining(['kamailio.log', 'users.cfg', 'kamailio.cfg']));
    } finally {
      rmSync(b.dir, { recursive: true, force: true });
    }
  });

  test('a busy kamailio port fails with LAB_PORT_BUSY and leaves no state dir behind', async () => {
    const sock = await bindUdp(BASE + 5);
    try {
      const before = readdirSync(tmpdir()).filter((n) => n.startsWith(`portier-lab-${BASE + 5}-`)).length;
      await expect(startLab({ basePort: BASE + 5, users: {} })).rejects.toMatchObject({ code: 'LAB_PORT_BUSY' });
      expect(readdirSync(tmpdir()).filter((n) => n.startsWith(`portier-lab-${BASE + 5}-`)).length).toBe(before);
    } finally {
      sock.close();
    }
  });

  test('a phone whose ports are taken fails with LAB_PORT_BUSY naming the port', async () => {
    const lab = await startLab({ basePort: BASE, users: { '100': 'pw100' } });
    const ctrl = phonePorts(BASE, 0).ctrl;
    const sock = await bindUdp(ctrl);
    try {
      await expect(lab.phone({ user: '100' })).rejects.toThrow(new RegExp(`port\\(s\\) ${ctrl} already in use`));
    } finally {
      sock.close();
      await lab.stop();
    }
  });
});
