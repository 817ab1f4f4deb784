import { describe, expect, it } from 'vitest';
import { sipSchema } from '../../../config/schema.js';
import { createUserAgent, openTransports, splitHostPort, userAgentConfig } from '../../../daemon/sip/user-agent-config.js';

describe('user agent from the [sip] config section', () => {
  it('maps the schema defaults and a registrar to the user agent config', () => {
    const s = sipSchema.parse({ registrar: 'sip:192.0.2.10:5060', password: 'pw', allowed_sources: ['10.0.0.0/8'] });
    const c = userAgentConfig(s);
    expect(c).toMatchObject({
      user: 'door', password: 'pw', domain: '192.0.2.10', registrar: 'sip:192.0.2.10:5060', transport: 'udp', expires: 600,
      t1: 500, t2: 4000, t4: 5000, allowedSources: ['10.0.0.0/8'], allowDirectCalls: false,
      keepalive: { method: 'crlf', intervalSeconds: 30 }, sessionExpires: 1800, rateLimit: { perSecond: 50, burst: 100 },
    });
    expect(userAgentConfig(sipSchema.parse({})).expires).toBe(0);
  });

  it('parses listen addresses', () => {
    expect(splitHostPort('0.0.0.0:5060')).toEqual({ host: '0.0.0.0', port: 5060 });
    expect(splitHostPort('[::1]:0')).toEqual({ host: '::1', port: 0 });
    expect(() => splitHostPort('nope')).toThrow(/host:port/);
  });

  it('opens UDP and TCP, and advertises a routable address instead of the wildcard', async () => {
    const s = sipSchema.parse({ listen: '0.0.0.0:0', registrar: 'sip:127.0.0.1:5999' });
    const ts = await openTransports(s);
    try {
      expect(ts.map((t) => t.protocol)).toEqual(['udp', 'tcp']);
      expect(ts.map((t) => t.local.address)).toEqual(['127.0.0.1', '127.0.0.1']);
      expect(ts[0].local.port).toBeGreaterThan(0);
    } finally {
      await Promise.all(ts.map((t) => t.close()));
    }
  });

  it('builds a user agent that closes cleanly without a registrar', async () => {
    const ua = await createUserAgent(sipSchema.parse({ listen: '127.0.0.1:0' }));
    await ua.start();
    expect(ua.registration).toBeUndefined();
    await ua.close();
    await ua.close();
  });
});
