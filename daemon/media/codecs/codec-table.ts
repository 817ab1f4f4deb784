/**
 * The codecs portier speaks and their RTP/SDP identities (RFC 3551 static types, RFC 7587 for Opus).
 * Data only: the SDP layer reads it without loading a codec implementation (registry.ts makes those).
 */
import type { CodecName } from '../types.js';

export interface CodecInfo {
  name: CodecName;
  /** encoding name in a=rtpmap (compared case-insensitively) */
  encodingName: string;
  /** static payload type, or the dynamic one we offer */
  payloadType: number;
  /** RTP clock rate written in a=rtpmap */
  clockRate: number;
  /** channel count written in a=rtpmap (Opus is always /2, RFC 7587 7) */
  channels: number;
  /** PCM sample rate the codec consumes/produces */
  sampleRate: number;
  /** a static payload type may be offered without a=rtpmap */
  static: boolean;
}

export const CODECS: Readonly<Record<CodecName, CodecInfo>> = {
  pcmu: { name: 'pcmu', encodingName: 'PCMU', payloadType: 0, clockRate: 8000, channels: 1, sampleRate: 8000, static: true },
  pcma: { name: 'pcma', encodingName: 'PCMA', payloadType: 8, clockRate: 8000, channels: 1, sampleRate: 8000, static: true },
  g722: { name: 'g722', encodingName: 'G722', payloadType: 9, clockRate: 8000, channels: 1, sampleRate: 16000, static: true },
  opus: { name: 'opus', encodingName: 'opus', payloadType: 111, clockRate: 48000, channels: 2, sampleRate: 48000, static: false },
};

export const CODEC_NAMES: readonly CodecName[] = ['pcmu', 'pcma', 'g722', 'opus'];

export function isCodecName(s: string): s is CodecName {
  return (CODEC_NAMES as readonly string[]).includes(s);
}

/** Samples per frame of `ptimeMs` at the codec's PCM rate (320 for G.722 at 20 ms). */
export function frameSamples(info: Pick<CodecInfo, 'sampleRate'>, ptimeMs = 20): number {
  return Math.round((info.sampleRate * ptimeMs) / 1000);
}

/** RTP timestamp increment per frame of `ptimeMs` (160 for G.722 at 20 ms, RFC 3551 4.5.2). */
export function timestampStep(info: Pick<CodecInfo, 'clockRate'>, ptimeMs = 20): number {
  return Math.round((info.clockRate * ptimeMs) / 1000);
}
