// How one serialized top-level value is stored: as is, compressed, and/or encrypted, behind a marker byte.
import { type Compressor, decompress } from './compression.js';
import type { KeyRing } from './encryption.js';

/**
 * Stored values that start with U+0001 carry a tag: `p` plain text that itself began with U+0001,
 * `b`/`d` base64 of brotli/deflate, `e` encrypted (the plaintext is again an encoded value).
 * JSON never starts with U+0001, so ordinary values are stored byte for byte.
 */
const MARK = '\u0001';

/** Why a stored value could not be read. */
export class UndecodableValue extends Error {
  constructor(readonly reason: 'corrupt' | 'decrypt') {
    super(reason);
  }
}

/** Encodes and decodes stored values with the configured compression and encryption. */
export class ValueCodec {
  /** True when stored values are the serialized text itself (no compression, no encryption). */
  readonly transparent: boolean;
  readonly #keys: KeyRing | undefined;
  readonly #compressor: Compressor | undefined;
  readonly #maxBytes: number;

  constructor(keys: KeyRing | undefined, compressor: Compressor | undefined, maxBytes: number) {
    this.#keys = keys;
    this.#compressor = compressor;
    this.#maxBytes = maxBytes;
    this.transparent = !keys && !compressor;
  }

  /** The stored form of `text`, the serialized value of top-level `key` of session `id`. */
  encode(text: string, id: string, key: string): string {
    let inner = text.charCodeAt(0) === 1 ? `${MARK}p${text}` : text;
    const compressor = this.#compressor;
    if (compressor && text.length >= compressor.thresholdBytes) {
      const packed = `${MARK}${compressor.tag}${compressor.compress(text).toString('base64')}`;
      if (packed.length < inner.length) inner = packed;
    }
    return this.#keys ? `${MARK}e${this.#keys.encrypt(inner, aad(id, key))}` : inner;
  }

  /** The serialized text behind a stored value; throws {@link UndecodableValue}. */
  decode(stored: string, id: string, key: string): string {
    if (this.#keys) {
      if (!stored.startsWith(`${MARK}e`)) throw new UndecodableValue('decrypt');
      const inner = this.#keys.decrypt(stored.slice(2), aad(id, key));
      if (inner === undefined) throw new UndecodableValue('decrypt');
      return this.#unpack(inner);
    }
    return this.#unpack(stored);
  }

  #unpack(inner: string): string {
    if (inner.charCodeAt(0) !== 1) return inner;
    const tag = inner[1];
    if (tag === 'p') return inner.slice(2);
    if (tag === 'b' || tag === 'd') {
      try {
        return decompress(tag, Buffer.from(inner.slice(2), 'base64'), this.#maxBytes);
      } catch {
        throw new UndecodableValue('corrupt');
      }
    }
    throw new UndecodableValue('corrupt');
  }
}

/** Associated data: the value only opens under the session id and key it was written for. */
function aad(id: string, key: string): string {
  return `${id}\n${key}`;
}
