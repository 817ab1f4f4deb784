import { describe, expect, it } from 'vitest';
import { JitterBuffer } from '../../../daemon/media/jitter-buffer.js';
import { concealsBeforeEnd, drive, FRAME, pkt, playedSeqs, playTime, prng, RATE, SPF, stream } from './helpers.js';

const make = (o: Partial<ConstructorParameters<typeof JitterBuffer>[0]> = {}) =>
  new JitterBuffer({ frameMs: FRAME, clockRate: RATE, ...o });

describe('JitterBuffer ordering, duplicates, late packets', () => {
  it('starts silent, then plays packets in sequence order although they arrive reordered', () => {
    const jb = make();
    // 5 ms transit, but every 10th packet arrives 12 ms later, after its successor
    const pkts = stream(0, 100, (i) => (i % 10 === 3 ? 27 : 5));
    const ticks = drive(jb, pkts, 0, 2600);
    expect(ticks[0].action.kind).toBe('silence');
    expect(playedSeqs(ticks)).toEqual([...Array(100).keys()]);
    expect(jb.stats().late).toBe(0);
  });

  it('drops a duplicate packet and counts it', () => {
    const jb = make();
    const pkts = stream(0, 50, () => 5);
    pkts.push(pkt(20, 20 * FRAME + 9)); // a second copy of seq 20, 4 ms after the first
    const ticks = drive(jb, pkts, 0, 1600);
    const seqs = playedSeqs(ticks);
    expect(seqs.filter((s) => s === 20)).toHaveLength(1);
    expect(jb.stats().duplicates).toBe(1);
    expect(jb.stats().received).toBe(50);
  });

  it('counts a duplicate that arrives after its frame was already played', () => {
    const jb = make();
    const pkts = stream(0, 50, () => 5);
    pkts.push(pkt(10, 35 * FRAME)); // copy of 10 arriving 500 ms later
    const ticks = drive(jb, pkts, 0, 1600);
    expect(playedSeqs(ticks).filter((s) => s === 10)).toHaveLength(1);
    expect(jb.stats().duplicates).toBe(1);
    expect(jb.stats().late).toBe(0);
  });

  it('discards a packet that arrives after its frame was given up, and counts it late', () => {
    const jb = make();
    const pkts = stream(0, 100, (i) => (i === 60 ? 400 : 5));
    const ticks = drive(jb, pkts, 0, 2600);
    const seqs = playedSeqs(ticks);
    expect(seqs).not.toContain(60);
    expect(seqs).toContain(59);
    expect(seqs).toContain(61);
    expect(jb.stats().late).toBe(1);
    // its slot was concealed exactly once
    expect(concealsBeforeEnd(ticks)).toHaveLength(1);
  });
});

describe('JitterBuffer loss and concealment', () => {
  it('conceals a lost frame and hands over the next packet for FEC', () => {
    const jb = make({ minDelayMs: 40 });
    const pkts = stream(0, 100, (i) => (i === 50 ? undefined : 5));
    const ticks = drive(jb, pkts, 0, 2600);
    const conceals = concealsBeforeEnd(ticks);
    expect(conceals).toHaveLength(1);
    const c = conceals[0].action;
    expect(c.kind === 'conceal' && c.next?.seq).toBe(51);
    const seqs = playedSeqs(ticks);
    expect(seqs).toEqual([...Array(100).keys()].filter((s) => s !== 50));
    // the frame after the loss is played exactly one tick after the concealment
    const at51 = ticks.find((x) => x.action.kind === 'play' && x.action.packet.seq === 51)!;
    expect(at51.t - conceals[0].t).toBe(FRAME);
  });

  it('conceals a lost frame once on a tight buffer and keeps the timeline (no drift)', () => {
    const jb = make();
    const pkts = stream(0, 100, (i) => (i === 50 || i === 70 ? undefined : 5));
    const ticks = drive(jb, pkts, 0, 2600);
    const seqs = playedSeqs(ticks);
    expect(seqs).toEqual([...Array(100).keys()].filter((s) => s !== 50 && s !== 70));
    expect(concealsBeforeEnd(ticks)).toHaveLength(2);
    // seq 49 and 99 are played with the same offset: losses did not add delay
    expect(playTime(ticks, 99)! - 99 * FRAME).toBe(playTime(ticks, 49)! - 49 * FRAME);
    expect(jb.stats().late).toBe(0);
  });

  it('reports silence instead of conceal after a long run of missing frames', () => {
    const jb = make({ maxConcealTicks: 3 });
    const ticks = drive(jb, stream(0, 20, () => 5), 0, 1000);
    const after = ticks.filter((x) => x.t > playTime(ticks, 19)!).map((x) => x.action.kind);
    expect(after.slice(0, 3)).toEqual(['conceal', 'conceal', 'conceal']);
    expect(after.slice(3).every((k) => k === 'silence')).toBe(true);
  });
});

describe('JitterBuffer resets', () => {
  it('resets on an SSRC change and plays the new source', () => {
    const jb = make();
    const a = stream(0, 50, () => 5, { ssrc: 1 });
    // a new source with unrelated numbering starts at 1.2 s
    const b = stream(60, 50, () => 5, { ssrc: 2, seqBase: 30000 - 60, tsBase: 123456789 });
    const ticks = drive(jb, [...a, ...b], 0, 2600);
    expect(jb.stats().resets).toBe(1);
    const seqs = playedSeqs(ticks);
    expect(seqs.slice(0, 10)).toEqual([...Array(10).keys()]);
    expect(seqs.filter((s) => s >= 30000)).toEqual([...Array(50).keys()].map((i) => 30000 + i));
  });

  it('resets on a large sequence jump once a second packet confirms it', () => {
    const jb = make();
    const a = stream(0, 50, () => 5);
    const b = stream(50, 50, () => 5, { seqBase: 5000 });
    const ticks = drive(jb, [...a, ...b], 0, 2600);
    expect(jb.stats().resets).toBe(1);
    const seqs = playedSeqs(ticks);
    expect(seqs).toContain(5000 + 60);
    expect(seqs).toContain(5000 + 99);
  });

  it('ignores a single stray packet with a far sequence number (no reset)', () => {
    const jb = make();
    const pkts = stream(0, 100, () => 5);
    pkts.push(pkt(40000, 40 * FRAME + 7));
    const ticks = drive(jb, pkts, 0, 2600);
    expect(jb.stats().resets).toBe(0);
    expect(playedSeqs(ticks)).toEqual([...Array(100).keys()]);
  });

  it('resets when the timestamps jump by far more than the time that passed', () => {
    const jb = make();
    const a = stream(0, 50, () => 5);
    // same SSRC and consecutive seqs, but the sender restarted its timestamp clock 1 h ahead
    const b = stream(50, 50, () => 5, { tsBase: 3600 * RATE });
    const ticks = drive(jb, [...a, ...b], 0, 2600);
    expect(jb.stats().resets).toBe(1);
    expect(playedSeqs(ticks)).toContain(99);
    expect(jb.stats().late).toBe(0);
  });

  it('reset() empties the buffer and starts over on the next packet', () => {
    const jb = make();
    drive(jb, stream(0, 30, () => 5), 0, 500);
    jb.reset();
    expect(jb.stats().depthFrames).toBe(0);
    expect(jb.pull(520).kind).toBe('silence');
    // the same source restarts its numbering: seqs 34.. arriving from 545 ms on
    const ticks = drive(jb, stream(27, 30, () => 5, { seqBase: 7 }), 540, 1400);
    expect(playedSeqs(ticks)[0]).toBe(34);
  });

  it('plays across the 16-bit sequence and 32-bit timestamp wrap', () => {
    const jb = make();
    const pkts = stream(0, 100, (i) => (i % 7 === 0 ? 25 : 5), { seqBase: 65500, tsBase: 0xffffffff - 50 * SPF });
    const ticks = drive(jb, pkts, 0, 2600);
    expect(playedSeqs(ticks)).toEqual([...Array(100).keys()].map((i) => (65500 + i) & 0xffff));
    expect(jb.stats().resets).toBe(0);
  });
});

describe('JitterBuffer adaptation', () => {
  it('raises its delay under jitter and lowers it again after the jitter calms down', () => {
    const jb = make();
    const r = prng(7);
    const calm = (i: number) => 5 + 2 * r();
    const rough = (i: number) => 5 + 80 * r();
    const pkts = [...stream(0, 500, calm), ...stream(500, 1500, rough), ...stream(2000, 5000, calm)];
    let i = 0;
    const sorted = pkts.sort((a, b) => a.arrivalMs - b.arrivalMs);
    const targetAt = new Map<number, number>();
    let lateBefore = 0;
    for (let t = 0; t <= 7000 * FRAME; t += FRAME) {
      while (i < sorted.length && sorted[i].arrivalMs <= t) jb.push(sorted[i++]);
      jb.pull(t);
      if (t === 500 * FRAME) lateBefore = jb.stats().late;
      if (t % 10_000 === 0) targetAt.set(t, jb.stats().targetDelayMs);
    }
    expect(targetAt.get(10_000)!).toBeLessThan(15); // calm: a few ms
    expect(targetAt.get(40_000)!).toBeGreaterThan(60); // rough: most of the 80 ms spread
    expect(targetAt.get(130_000)!).toBeLessThan(15); // calm again after the window forgot
    const s = jb.stats();
    expect(s.expandFrames).toBeGreaterThan(0);
    expect(s.accelerateFrames).toBeGreaterThan(0);
    expect(s.late - lateBefore).toBeLessThan(0.02 * 1500);
  });

  it('waits through a stall released in a burst, then sheds the extra delay', () => {
    const jb = make();
    // 60 s of steady 5 ms transit fill the estimator window; then packets 3000..3014 are held by a
    // 300 ms stall and all arrive together, 0.5 ms apart
    const stallEnd = 3000 * FRAME + 300 + 5;
    const pkts = stream(0, 3400, (i) => (i >= 3000 && i < 3015 ? stallEnd + 0.5 * (i - 3000) - i * FRAME : 5));
    const ticks = drive(jb, pkts, 0, 3400 * FRAME);
    const s = jb.stats();
    // the buffer waited (expanded) instead of declaring the held frames late
    expect(s.expandFrames).toBeGreaterThanOrEqual(14);
    expect(s.late).toBe(0);
    // the frames not played are exactly the ones dropped to bring the delay back down
    const seqs = playedSeqs(ticks);
    expect(seqs.filter((q) => q >= 3000 && q < 3015).length).toBeGreaterThanOrEqual(1);
    expect(3400 - seqs.length).toBe(s.accelerateFrames);
    expect(s.accelerateFrames).toBeGreaterThanOrEqual(12);
    // 5 s after the stall the offset is back to what it was before
    expect(playTime(ticks, 3399)! - 3399 * FRAME).toBe(playTime(ticks, 2990)! - 2990 * FRAME);
  });

  it('keeps a higher delay while stalls recur (a stall is remembered by the 60 s window)', () => {
    const jb = make();
    // a 200 ms stall every 5 s
    const held = (i: number) => i % 250 >= 100 && i % 250 < 110;
    const pkts = stream(0, 3000, (i) => (held(i) ? Math.floor(i / 250) * 5000 + 100 * FRAME + 200 + 5 + 0.5 * (i % 250 - 100) - i * FRAME : 5));
    drive(jb, pkts, 0, 3000 * FRAME + 400);
    const s = jb.stats();
    expect(s.targetDelayMs).toBeGreaterThan(100);
    // after the first stalls the late/dropped frames per stall fall well under the 10 held ones
    expect(s.late + s.accelerateFrames).toBeLessThan(0.02 * 3000 + 20);
  });

  it('follows a drop of the base delay within seconds, not after the whole window', () => {
    const jb = make();
    const pkts = stream(0, 3000, (i) => (i < 1500 ? 150 : 20) + (i % 3));
    const ticks = drive(jb, pkts, 0, 3000 * FRAME + 400);
    const off = (seq: number) => ticks.find((x) => x.action.kind === 'play' && x.action.packet.seq === seq)?.t;
    // 10 s after the route change the frames are played at most ~2 frames above the new transit
    const t = off(2000)!;
    expect(t - 2000 * FRAME).toBeLessThanOrEqual(20 + 3 + 2 * FRAME + 20);
    expect(jb.stats().late).toBeLessThan(15);
  });

  it('absorbs a rise of the base delay by expanding, without losing frames', () => {
    const jb = make();
    const pkts = stream(0, 1000, (i) => (i < 500 ? 10 : 90));
    const ticks = drive(jb, pkts, 0, 1000 * FRAME + 400);
    expect(playedSeqs(ticks)).toHaveLength(1000);
    expect(jb.stats().late).toBe(0);
    expect(jb.stats().expandFrames).toBeGreaterThanOrEqual(4);
  });

  it('follows a sender clock drift in either direction without losing frames', () => {
    for (const ppm of [-500, 500]) {
      const jb = make();
      const r = prng(3);
      // the sender's 20 ms frames last 20 * (1 + ppm/1e6) ms of receiver time; 2 min of audio
      const pkts = stream(0, 6000, (i) => 10 + 4 * r() + i * FRAME * ppm * 1e-6);
      const ticks = drive(jb, pkts, 0, 6000 * FRAME + 1000);
      const s = jb.stats();
      expect(s.late).toBe(0);
      // the drift is 60 ms over the call: about three frames of expand or accelerate, not more
      expect(s.expandFrames + s.accelerateFrames).toBeLessThanOrEqual(8);
      expect(playedSeqs(ticks).length).toBeGreaterThanOrEqual(6000 - 4);
    }
  });

  it('re-anchors after a silence (DTX) gap without loss and without carrying the gap as delay', () => {
    const jb = make();
    // talk spurt 1: seq 0..49; 3 s of silence; talk spurt 2: seq 50..99 with timestamps 3 s ahead
    const gap = 3000;
    const pkts = [
      ...stream(0, 50, () => 5),
      ...Array.from({ length: 50 }, (_, k) => pkt(50 + k, (50 + k) * FRAME + gap + 5, { ts: (50 + k) * SPF + gap * 8 })),
    ];
    const ticks = drive(jb, pkts, 0, 100 * FRAME + gap + 400);
    const seqs = playedSeqs(ticks);
    expect(seqs).toEqual([...Array(100).keys()]);
    expect(jb.stats().late).toBe(0);
    const tOf = (s: number) => ticks.find((x) => x.action.kind === 'play' && x.action.packet.seq === s)!.t;
    // same offset in both spurts (the 3 s were not turned into buffering delay)
    expect(tOf(99) - (99 * FRAME + gap)).toBe(tOf(49) - 49 * FRAME);
    expect(jb.stats().expandFrames).toBe(0);
  });

  it('drops quiet frames rather than loud ones when lowering the delay', () => {
    // payload byte 0 carries the frame's loudness; energy() reads it
    const energy = (p: Uint8Array) => (p[0] ?? 0) * (p[0] ?? 0);
    const jb = make({ frameEnergy: energy, accelerateHoldTicks: 5, accelerateIntervalTicks: 2, accelerateForceTicks: 1000 });
    const loud = (seq: number) => (seq % 4 === 0 ? 1 : 100);
    const pkts = [];
    // 5 s with 120 ms transit, then 40 ms: the buffer must shed ~4 frames
    for (let i = 0; i < 800; i++) {
      const p = pkt(i, i * FRAME + (i < 250 ? 120 : 40));
      p.payload = new Uint8Array([loud(i), 0]);
      pkts.push(p);
    }
    const ticks = drive(jb, pkts, 0, 800 * FRAME + 400);
    const played = new Set(playedSeqs(ticks));
    const dropped = [...Array(800).keys()].filter((s) => !played.has(s));
    expect(jb.stats().accelerateFrames).toBeGreaterThanOrEqual(2);
    expect(dropped.length).toBeGreaterThanOrEqual(2);
    expect(dropped.every((s) => loud(s) === 1)).toBe(true);
  });
});

describe('JitterBuffer with several frames per media tick', () => {
  it('serves two 10 ms frames per 20 ms tick back to back without concealment', () => {
    const jb = new JitterBuffer({ frameMs: 10, clockRate: RATE });
    const pkts = Array.from({ length: 200 }, (_, i) => pkt(i, i * 10 + 3 + (i % 5), { ts: i * 80 }));
    let k = 0;
    const kinds: string[] = [];
    const seqs: number[] = [];
    for (let t = 0; t <= 2100; t += 20) {
      while (k < pkts.length && pkts[k].arrivalMs <= t) jb.push(pkts[k++]);
      for (let j = 0; j < 2; j++) {
        const a = jb.pull(t);
        kinds.push(a.kind);
        if (a.kind === 'play') seqs.push(a.packet.seq);
      }
    }
    expect(seqs).toEqual([...Array(200).keys()]);
    const firstPlay = kinds.indexOf('play');
    expect(kinds.slice(firstPlay, firstPlay + 200).every((x) => x === 'play')).toBe(true);
    expect(jb.stats().accelerateFrames + jb.stats().expandFrames).toBeLessThanOrEqual(2);
  });
});

describe('JitterBuffer bounded memory and robustness', () => {
  it('holds at most maxPackets under a flood of packets', () => {
    const jb = make({ maxPackets: 60 });
    for (let i = 0; i < 20_000; i++) jb.push(pkt(i % 65536, 0));
    expect(jb.stats().depthFrames).toBeLessThanOrEqual(60);
    for (let t = 0; t < 1000; t += 20) jb.pull(t);
    expect(jb.stats().depthFrames).toBeLessThanOrEqual(60);
  });

  it('ignores packets with a non-numeric timestamp, sequence number or arrival time and keeps playing', () => {
    const jb = make();
    const pkts = stream(0, 100, () => 5);
    const bad = [pkt(30, 30 * FRAME + 1), pkt(31, 31 * FRAME + 1), pkt(32, NaN)];
    bad[0].timestamp = NaN;
    bad[1].seq = Number.NaN;
    const ticks = drive(jb, [...pkts, bad[0], bad[1]], 0, 2200);
    jb.push(bad[2]);
    expect(playedSeqs(ticks)).toEqual([...Array(100).keys()]);
    expect(jb.stats().duplicates).toBe(0);
  });

  it('never throws and stays bounded on random packets and pulls', () => {
    const r = prng(99);
    const jb = make({ maxPackets: 30 });
    let t = 0;
    let maxDepth = 0;
    const kinds = new Set<string>();
    for (let k = 0; k < 20_000; k++) {
      const x = r();
      if (x < 0.6) {
        jb.push({
          seq: Math.floor(r() * 70000) - 1000,
          timestamp: r() < 0.05 ? NaN : Math.floor(r() * 2 ** 33) - 2 ** 31,
          ssrc: r() < 0.01 ? 2 : 1,
          marker: r() < 0.1,
          payloadType: 0,
          payload: new Uint8Array(r() < 0.5 ? 0 : 160),
          arrivalMs: r() < 0.02 ? NaN : t + r() * 100,
        });
      } else {
        t += 20;
        kinds.add(jb.pull(t).kind);
      }
      maxDepth = Math.max(maxDepth, jb.stats().depthFrames);
    }
    expect(maxDepth).toBeLessThanOrEqual(30);
    expect([...kinds].every((k) => ['play', 'conceal', 'silence'].includes(k))).toBe(true);
    expect(kinds.has('play')).toBe(true);
  });
});
