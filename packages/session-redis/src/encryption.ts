// AES-256-GCM for values at rest: the first key encrypts, any key decrypts (rotation), id + key name as AAD.
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { optionError } from './errors.js';

const IV_BYTES = 12;
const TAG_BYTES = 16;

interface RingKey {
  /** 8 hex characters naming the key inside the stored value, so decryption picks it directly. */
  readonly id: string;
  readonly key: Buffer;
}

function decodeKey(input: string | Uint8Array, index: number): Buffer {
  let key: Buffer | undefined;
  if (typeof input !== 'string') key = Buffer.from(input);
  else if (/^[0-9a-fA-F]{64}$/.test(input)) key = Buffer.from(input, 'hex');
  else if (/^[A-Za-z0-9+/_-]{43}=?$/.test(input)) key = Buffer.from(input, 'base64');
  if (key?.length !== 32) {
    throw optionError(
      'LBKIT_SESSION_KEY_INVALID',
      `encryption.keys[${index}] is not a 32-byte key`,
      'Give 32 random bytes as a Uint8Array, 64 hex characters or base64 (for example `openssl rand -base64 32`); passphrases are not accepted.',
    );
  }
  return key;
}

/** The configured keys. */
export class KeyRing {
  readonly #keys: RingKey[];
  readonly #byId: Map<string, RingKey>;

  constructor(inputs: ReadonlyArray<string | Uint8Array>) {
    if (!Array.isArray(inputs) || inputs.length === 0) {
      throw optionError(
        'LBKIT_SESSION_KEY_INVALID',
        'encryption.keys is empty',
        'Give at least one 32-byte key; the first one encrypts.',
      );
    }
    this.#keys = inputs.map((input, index) => {
      const key = decodeKey(input, index);
      return { key, id: createHash('sha256').update(key).digest('hex').slice(0, 8) };
    });
    this.#byId = new Map(this.#keys.map((k) => [k.id, k]));
  }

  /** `<key id>.<base64 of iv | tag | ciphertext>`. */
  encrypt(plain: string, aad: string): string {
    const { id, key } = this.#keys[0]!;
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    cipher.setAAD(Buffer.from(aad, 'utf8'));
    const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return `${id}.${Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64')}`;
  }

  /** The plaintext, or undefined when no key opens it (unknown key, tampered, or moved to another id). */
  decrypt(stored: string, aad: string): string | undefined {
    const dot = stored.indexOf('.');
    if (dot !== 8) return undefined;
    const known = this.#byId.get(stored.slice(0, dot));
    const blob = Buffer.from(stored.slice(dot + 1), 'base64');
    if (blob.length < IV_BYTES + TAG_BYTES) return undefined;
    // The id is a hint; a key id collision (1 in 4e9) still decrypts by trying the others.
    const candidates = known ? [known, ...this.#keys.filter((k) => k !== known)] : this.#keys;
    for (const { key } of candidates) {
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, blob.subarray(0, IV_BYTES));
        decipher.setAAD(Buffer.from(aad, 'utf8'));
        decipher.setAuthTag(blob.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
        return Buffer.concat([
          decipher.update(blob.subarray(IV_BYTES + TAG_BYTES)),
          decipher.final(),
        ]).toString('utf8');
      } catch {
        // wrong key or tampered: try the next one
      }
    }
    return undefined;
  }
}
