/**
 * How a call record looks in the status the panel shows (the `calls` section).
 */
import type { CallRecord } from './call-record.js';

export function describeCall(rec: CallRecord, now: number): Record<string, unknown> {
  const at = rec.endedAt ?? now;
  const stats = rec.session?.media.stats();
  const n = rec.session?.negotiated;
  return {
    id: rec.id,
    direction: rec.direction,
    state: rec.state,
    peer: rec.peer,
    codec: n?.codec ?? null,
    duration_s: rec.answeredAt !== undefined ? Math.round((at - rec.answeredAt) / 1000) : 0,
    ringing_s: Math.round(((rec.answeredAt ?? at) - rec.startedAt) / 1000),
    ...(rec.button ? { button: rec.button } : {}),
    ...(rec.endReason ? { end_reason: rec.endReason } : {}),
    ...(n ? { media_direction: n.direction } : {}),
    ...(stats
      ? {
          media: {
            packets_sent: stats.packetsSent,
            packets_received: stats.packetsReceived,
            loss: Number(stats.loss.toFixed(4)),
            jitter_ms: Number(stats.jitterMs.toFixed(1)),
            rtt_ms: stats.rttMs === null ? null : Number(stats.rttMs.toFixed(1)),
            level_in_dbfs: Math.round(stats.levelInDbfs),
            level_out_dbfs: Math.round(stats.levelOutDbfs),
            jitter_buffer: stats.jitterBuffer,
            bleed: stats.bleed,
            digits_received: stats.digitsReceived,
          },
        }
      : {}),
  };
}
