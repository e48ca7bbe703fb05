// Compression of large values (brotli or raw deflate), kept only when it actually saves space.
import {
  brotliCompressSync,
  brotliDecompressSync,
  constants,
  deflateRawSync,
  inflateRawSync,
} from 'node:zlib';

/** What the store needs from a compressor. */
export interface Compressor {
  /** Stored marker letter of the algorithm. */
  readonly tag: 'b' | 'd';
  readonly thresholdBytes: number;
  compress(text: string): Buffer;
}

const BROTLI = { params: { [constants.BROTLI_PARAM_QUALITY]: 4 } };

/** Builds the compressor; brotli at quality 4, because the default 11 costs milliseconds per value. */
export function createCompressor(algorithm: 'brotli' | 'deflate', thresholdBytes: number): Compressor {
  return algorithm === 'brotli'
    ? { tag: 'b', thresholdBytes, compress: (text) => brotliCompressSync(text, BROTLI) }
    : { tag: 'd', thresholdBytes, compress: (text) => deflateRawSync(text, { level: 6 }) };
}

/**
 * Inflates a stored value. `maxBytes` bounds the output, so a small stored value cannot expand
 * into gigabytes (a compression bomb) in the process.
 */
export function decompress(tag: string, data: Buffer, maxBytes: number): string {
  const out =
    tag === 'b'
      ? brotliDecompressSync(data, { maxOutputLength: maxBytes })
      : inflateRawSync(data, { maxOutputLength: maxBytes });
  return out.toString('utf8');
}
