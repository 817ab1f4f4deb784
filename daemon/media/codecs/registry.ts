/**
 * The codec factory: a fresh encoder/decoder per call. The table of the codecs' RTP/SDP identities
 * lives in codec-table.ts (the SDP layer reads that one without loading any codec implementation).
 */
import { PortierError } from '../../util/errors.js';
import type { AudioCodec, CodecName } from '../types.js';
import { CODEC_NAMES } from './codec-table.js';
import { G722Codec } from './g722.js';
import { OpusCodec, type OpusOptions } from './opus.js';
import { PcmaCodec } from './pcma.js';
import { PcmuCodec } from './pcmu.js';

export { CODECS, CODEC_NAMES, isCodecName, frameSamples, timestampStep, type CodecInfo } from './codec-table.js';

export interface CreateCodecOptions {
  opus?: OpusOptions;
}

/** Make a fresh codec instance (one per call direction pair). Unknown names fail with the known list. */
export function createCodec(name: CodecName | string, opts: CreateCodecOptions = {}): AudioCodec {
  switch (name) {
    case 'pcmu':
      return new PcmuCodec();
    case 'pcma':
      return new PcmaCodec();
    case 'g722':
      return new G722Codec();
    case 'opus':
      try {
        return new OpusCodec(opts.opus);
      } catch (err) {
        throw new PortierError('MEDIA_ERROR', `The Opus codec could not be loaded: ${String(err)}`, { cause: err });
      }
    default:
      throw new PortierError(
        'MEDIA_ERROR',
        `Unknown codec "${name}"; known codecs: ${CODEC_NAMES.join(', ')}.`,
      );
  }
}
