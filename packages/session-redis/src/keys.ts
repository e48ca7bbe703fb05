// Redis key names of a session: one hash per session and a tombstone, both in the session's Cluster slot.

/** Escapes SCAN glob syntax in a literal prefix. */
function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&');
}

/** Key names for one prefix. */
export class SessionKeys {
  /** SCAN pattern of session hashes (`<prefix>{*}`), which excludes tombstones. */
  readonly sessionPattern: string;
  /** SCAN pattern of everything the store writes (sessions and tombstones). */
  readonly everythingPattern: string;
  readonly #prefix: string;

  constructor(prefix: string) {
    this.#prefix = prefix;
    this.sessionPattern = `${escapeGlob(prefix)}{*}`;
    this.everythingPattern = `${escapeGlob(prefix)}{*`;
  }

  /** `<prefix>{<id>}`: the braces are a hash tag, so the session and its tombstone share a slot. */
  session(id: string): string {
    return `${this.#prefix}{${id}}`;
  }

  /** Marks a destroyed id for `tombstoneTtlMs`; write scripts refuse to recreate the session. */
  tombstone(id: string): string {
    return `${this.#prefix}{${id}}:destroyed`;
  }

  /** The session id inside a session key, or undefined for any other key. */
  idOf(key: string): string | undefined {
    const prefix = this.#prefix;
    if (key.length < prefix.length + 3 || !key.startsWith(prefix)) return undefined;
    if (key.charCodeAt(prefix.length) !== 0x7b || key.charCodeAt(key.length - 1) !== 0x7d) return undefined;
    return key.slice(prefix.length + 1, -1);
  }
}
