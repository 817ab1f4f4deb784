/**
 * Interop with another RTP stack: ffmpeg sends PCMU RTP (and RTCP SR to port + 1) to a
 * MediaSession, and receives the session's PCMU RTP through an SDP file. Needs `ffmpeg` (apt).
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { PcmuCodec } from '../../../daemon/media/codecs/pcmu.js';
import { MediaSession } from '../../../daemon/media/media-session.js';
import { PortAllocator, RtpSocket } from '../../../daemon/media/rtp-socket.js';
import { systemClock } from '../../../daemon/util/clock.js';
import { RecordingPlayback, ToneCapture, toneShare } from './helpers.js';

const hasFfmpeg = spawnSync('ffmpeg', ['-version']).status === 0;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('interop with ffmpeg RTP', () => {
  const cleanup: (() => void)[] = [];
  afterEach(() => {
    for (const fn of cleanup.splice(0)) fn();
  });

  it('plays ffmpeg\'s 600 Hz PCMU stream, and ffmpeg decodes our 1000 Hz stream', async () => {
    expect(hasFfmpeg).toBe(true);
    const dir = mkdtempSync(join(tmpdir(), 'portier-ffmpeg-'));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const allocator = new PortAllocator('36200-36240');
    const sock = await RtpSocket.open({ allocator, address: '127.0.0.1' });
    const ffPort = 36250; // where the receiving ffmpeg listens
    const playback = new RecordingPlayback();
    const session = new MediaSession({
      clock: systemClock,
      transport: sock,
      // our RTCP goes elsewhere: ffmpeg re-bases its timestamps on the first SR it gets, which
      // moves its output clock back and delays its "-t 1" end by however late the SR came
      remote: { address: '127.0.0.1', rtpPort: ffPort, rtcpPort: ffPort + 10 },
      codec: { codec: new PcmuCodec(), payloadType: 0 },
      capture: new ToneCapture(1000),
      playback,
      // two ffmpeg processes: the one sending to us is not the one listening on ffPort
      symmetricRtp: false,
    });
    cleanup.push(() => session.close());

    // ffmpeg receiving: reads our stream via SDP, writes 1 s of raw PCM to stdout
    writeFileSync(join(dir, 'in.sdp'), `v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio ${ffPort} RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n`);
    const rx = spawn('ffmpeg', ['-nostdin', '-hide_banner', '-loglevel', 'debug', '-protocol_whitelist', 'file,udp,rtp', '-i', join(dir, 'in.sdp'), '-t', '1', '-f', 's16le', '-ac', '1', '-ar', '8000', 'pipe:1']);
    cleanup.push(() => rx.kill('SIGKILL'));
    const chunks: Buffer[] = [];
    let got = 0;
    let rxEnough: () => void = () => {};
    const rxEnoughP = new Promise<void>((r) => (rxEnough = r));
    rx.stdout.on('data', (c: Buffer) => {
      chunks.push(c);
      got += c.length;
      if (got >= 16000) rxEnough(); // 1 s of 16-bit PCM at 8 kHz
    });
    let rxErr = '';
    let rxReady: () => void = () => {};
    const rxReadyP = new Promise<void>((r) => (rxReady = r));
    rx.stderr.on('data', (c: Buffer) => {
      rxErr += c.toString();
      // debug output: both UDP sockets (RTP, RTCP) are bound
      if (rxErr.split('receive buffer size reported').length > 2) rxReady();
    });
    rx.on('close', () => rxEnough());

    // start once the receiving ffmpeg has bound its ports
    await Promise.race([rxReadyP, sleep(4000)]);
    session.start();
    // ffmpeg sending: 2 s of 600 Hz in 20 ms PCMU packets, paced in real time
    const tx = spawn('ffmpeg', ['-nostdin', '-hide_banner', '-loglevel', 'error', '-re', '-f', 'lavfi', '-i', 'sine=frequency=600:sample_rate=8000:duration=2', '-af', 'asetnsamples=n=160', '-ac', '1', '-c:a', 'pcm_mulaw', '-f', 'rtp', `rtp://127.0.0.1:${sock.rtpPort}`]);
    cleanup.push(() => tx.kill('SIGKILL'));
    tx.stdout.resume();
    const txDone = new Promise<void>((r) => tx.on('close', () => r()));
    let heard: Int16Array = new Int16Array(0);
    await Promise.all([
      // what we heard from ffmpeg (the last 1.5 s of its 2 s)
      Promise.race([txDone, sleep(6000)]).then(() => (heard = playback.samples(1500))),
      // ffmpeg may take a while (stream probing on a loaded machine); the session keeps sending
      Promise.race([rxEnoughP, sleep(12000)]),
    ]);
    const stats = session.stats();
    expect(stats.packetsReceived).toBeGreaterThan(60);
    expect(stats.learning).toBeGreaterThanOrEqual(1); // ffmpeg sends from a port that is not in any SDP
    expect(toneShare(heard, 600, 8000)).toBeGreaterThan(0.5);
    expect(stats.malformed).toBe(0);
    expect(stats.rtcp.received).toBeGreaterThanOrEqual(1); // ffmpeg's RTCP SR on port + 1

    // what ffmpeg heard from us
    const pcm = Buffer.concat(chunks);
    const samples = new Int16Array(pcm.buffer, pcm.byteOffset, Math.floor(pcm.length / 2));
    expect(samples.length).toBeGreaterThan(4000);
    expect(toneShare(samples.subarray(800), 1000, 8000)).toBeGreaterThan(0.8);
  }, 25000);
});
