import { createSocket } from 'node:dgram';
import { isIP } from 'node:net';

/**
 * The local address the kernel would use to reach `host` (a connected UDP socket sends nothing).
 * That address goes into SDP and Contact so the PBX can reach us back. Falls back to `fallback`.
 */
export function localAddressToward(host: string, fallback: string): Promise<string> {
  const h = host.replace(/^\[|\]$/g, '');
  const family = isIP(h);
  if (!family) return Promise.resolve(fallback);
  return new Promise((resolve) => {
    const s = createSocket(family === 6 ? 'udp6' : 'udp4');
    const done = (addr: string) => {
      try {
        s.close();
      } catch {
        /* closed */
      }
      resolve(addr);
    };
    s.on('error', () => done(fallback));
    s.connect(9, h, () => {
      try {
        done(s.address().address);
      } catch {
        done(fallback);
      }
    });
  });
}

export function isWildcard(address: string): boolean {
  return address === '0.0.0.0' || address === '::' || address === '';
}
