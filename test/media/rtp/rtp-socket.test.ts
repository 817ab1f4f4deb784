import dgram from 'node:dgram';
import { describe, expect, it } from 'vitest';
import { parsePortRange, PortAllocator, RtpSocket } from '../../../daemon/media/rtp-socket.js';
import { PortierError } from '../../../daemon/util/errors.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('port range and allocation', () => {
  it('parses "20000-20100" and rejects malformed or too small ranges', () => {
    expect(parsePortRange('20000-20100')).toEqual({ ok: true, range: { min: 20000, max: 20100 } });
    expect(parsePortRange(' 20000 - 20001 ')).toEqual({ ok: true, range: { min: 20000, max: 20001 } });
    for (const bad of ['20000', '20100-20000', '80-90', '20000-70000', 'a-b', '20000-20000']) {
      expect(parsePortRange(bad).ok).toBe(false);
    }
    expect(() => new PortAllocator('nope')).toThrow(PortierError);
  });

  it('hands out even ports with room for RTCP at port + 1, until the range is exhausted', () => {
    const a = new PortAllocator('20001-20010');
    expect(a.capacity).toBe(4); // 20002, 20004, 20006, 20008 (20010 has no 20011)
    const got = [a.allocate(), a.allocate(), a.allocate(), a.allocate()];
    expect(got).toEqual([20002, 20004, 20006, 20008]);
    expect(a.allocate()).toBeNull();
    a.release(20004);
    expect(a.allocate()).toBe(20004);
  });

  it('does not reuse a just-released port while others are free (round robin)', () => {
    const a = new PortAllocator('20000-20009');
    const p = a.allocate()!;
    a.release(p);
    expect(a.allocate()).not.toBe(p);
  });
});

describe('rtp socket', () => {
  it('binds RTP on an even port and RTCP on port + 1, skipping pairs already in use, and releases on close', async () => {
    const blocker = dgram.createSocket('udp4');
    await new Promise<void>((r) => blocker.bind(36101, '127.0.0.1', () => r()));
    const allocator = new PortAllocator('36100-36110');
    const s = await RtpSocket.open({ allocator, address: '127.0.0.1' });
    try {
      expect(s.rtpPort).toBe(36102); // 36100/36101 is taken
      expect(s.rtcpPort).toBe(36103);
      expect(allocator.allocated).toBe(1);
    } finally {
      s.close();
      s.close();
      blocker.close();
    }
    expect(allocator.allocated).toBe(0);
  });

  it('fails with MEDIA_ERROR when the range is exhausted', async () => {
    const allocator = new PortAllocator('36120-36121');
    const s = await RtpSocket.open({ allocator, address: '127.0.0.1' });
    await expect(RtpSocket.open({ allocator, address: '127.0.0.1' })).rejects.toMatchObject({ code: 'MEDIA_ERROR' });
    s.close();
  });

  it('delivers RTP and RTCP to their handlers and drops above the packet-rate budget', async () => {
    const allocator = new PortAllocator('36140-36150');
    let t = 0;
    const s = await RtpSocket.open({ allocator, address: '127.0.0.1', maxPacketsPerSecond: 10, now: () => t });
    const rtp: number[] = [];
    const rtcp: number[] = [];
    s.onRtp((d) => rtp.push(d[0]));
    s.onRtcp((d) => rtcp.push(d[0]));
    const peer = dgram.createSocket('udp4');
    try {
      for (let i = 0; i < 30; i++) peer.send(new Uint8Array([i]), s.rtpPort, '127.0.0.1');
      peer.send(new Uint8Array([200]), s.rtcpPort, '127.0.0.1');
      await sleep(150);
      expect(rtp.length + rtcp.length).toBe(11); // budget 10 x 1.1 for the pair
      expect(s.stats().overloadDrops).toBe(20);
      t = 1000; // next window
      peer.send(new Uint8Array([201]), s.rtcpPort, '127.0.0.1');
      await sleep(100);
      expect(rtcp).toContain(201);
    } finally {
      peer.close();
      s.close();
    }
  });

  it('rtcp-mux uses one socket for both', async () => {
    const allocator = new PortAllocator('36160-36170');
    const s = await RtpSocket.open({ allocator, address: '127.0.0.1', rtcpMux: true });
    expect(s.rtcpPort).toBe(s.rtpPort);
    s.close();
  });
});
