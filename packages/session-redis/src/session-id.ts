// Session id validation, done before any Redis command so an id can never inject into a key name.

/** Hard limit whatever the configuration says. */
export const MAX_ID_LENGTH = 256;

function isBase64UrlChar(c: number): boolean {
  return (
    (c >= 0x30 && c <= 0x39) || // 0-9
    (c >= 0x41 && c <= 0x5a) || // A-Z
    (c >= 0x61 && c <= 0x7a) || // a-z
    c === 0x2d || // -
    c === 0x5f // _
  );
}

/**
 * Printable ASCII without the characters that change a key's meaning: `{` `}` pick the Cluster
 * slot (hash tag) and `* ? [ ] \` are SCAN glob syntax.
 */
function isKeySafe(id: string): boolean {
  if (id.length === 0 || id.length > MAX_ID_LENGTH) return false;
  for (let i = 0; i < id.length; i++) {
    const c = id.charCodeAt(i);
    if (c < 0x21 || c > 0x7e) return false;
    if (c === 0x7b || c === 0x7d || c === 0x2a || c === 0x3f || c === 0x5b || c === 0x5d || c === 0x5c)
      return false;
  }
  return true;
}

/** Options that shape the check; see `RedisSessionStoreOptions`. */
export interface SessionIdRules {
  readonly min: number;
  readonly max: number;
  readonly pattern: RegExp | undefined;
  readonly custom: ((id: string) => boolean) | undefined;
}

/** Compiles the rules into one predicate, run on every id the store receives. */
export function compileIdCheck(rules: SessionIdRules): (id: unknown) => id is string {
  const { min, max, pattern, custom } = rules;
  if (custom) {
    return (id: unknown): id is string => typeof id === 'string' && isKeySafe(id) && custom(id) === true;
  }
  return (id: unknown): id is string => {
    if (typeof id !== 'string' || id.length < min || id.length > max) return false;
    if (pattern) return isKeySafe(id) && pattern.test(id);
    // Every base64url character is key-safe and max ≤ MAX_ID_LENGTH: one scan is enough.
    for (let i = 0; i < id.length; i++) if (!isBase64UrlChar(id.charCodeAt(i))) return false;
    return true;
  };
}
