// RFC 7239 Forwarded header parser: one linear left-to-right scan, no regular expressions, broken elements isolated.

/** One forwarded-element. Values are unescaped; `broken` marks an element whose syntax was invalid. */
export interface ForwardedElement {
  for: string | undefined;
  by: string | undefined;
  host: string | undefined;
  proto: string | undefined;
  /** Syntax error, or a parameter given twice (RFC 7239 §4: each at most once per element). */
  broken: boolean;
}

// tchar (RFC 9110 §5.6.2): ALPHA / DIGIT / "!#$%&'*+-.^_`|~"
const TCHAR = new Uint8Array(128);
for (let c = 48; c <= 57; c++) TCHAR[c] = 1;
for (let c = 65; c <= 90; c++) TCHAR[c] = 1;
for (let c = 97; c <= 122; c++) TCHAR[c] = 1;
for (const c of "!#$%&'*+-.^_`|~") TCHAR[c.charCodeAt(0)] = 1;

function isTchar(c: number): boolean {
  return c < 128 && TCHAR[c] === 1;
}

// qdtext = HTAB / SP / %x21 / %x23-5B / %x5D-7E / obs-text; quoted-pair adds '"' and '\'.
function isQuotedChar(c: number): boolean {
  return c === 9 || (c >= 32 && c <= 126 && c !== 34 && c !== 92) || (c >= 128 && c <= 255);
}

function isPairChar(c: number): boolean {
  return c === 9 || (c >= 32 && c <= 126) || (c >= 128 && c <= 255);
}

function skipOws(s: string, i: number): number {
  while (i < s.length) {
    const c = s.charCodeAt(i);
    if (c !== 32 && c !== 9) break;
    i++;
  }
  return i;
}

function nextComma(s: string, from: number): number {
  const at = s.indexOf(',', from);
  return at < 0 ? s.length : at;
}

const KNOWN = ['for', 'by', 'host', 'proto'] as const;

/**
 * Parses a Forwarded field value (all lines joined with commas, in order). Empty list elements are
 * skipped (RFC 9110 §5.6.1). OWS around `;` is tolerated; around `=` it is not. An element with a syntax
 * error is kept, marked broken, and parsing resumes at the next comma, so an attacker's malformed
 * prefix cannot swallow the well-formed elements trusted proxies appended after it. An unterminated
 * quoted string resumes at the first comma after its opening quote; every quote after that point was
 * escaped, so no later value can open a quote and the scan stays linear.
 */
export function parseForwarded(s: string): ForwardedElement[] {
  const elements: ForwardedElement[] = [];
  const n = s.length;
  let i = 0;
  while (i <= n) {
    const element: ForwardedElement = {
      for: undefined,
      by: undefined,
      host: undefined,
      proto: undefined,
      broken: false,
    };
    let pairs = 0;
    let extensionNames: string[] | undefined;
    for (;;) {
      i = skipOws(s, i);
      if (i >= n) break;
      const c = s.charCodeAt(i);
      if (c === 44) break;
      if (c === 59) {
        i++;
        continue;
      }
      const nameStart = i;
      while (i < n && isTchar(s.charCodeAt(i))) i++;
      if (i === nameStart || i >= n || s.charCodeAt(i) !== 61) {
        element.broken = true;
        i = nextComma(s, i);
        break;
      }
      const name = s.slice(nameStart, i).toLowerCase();
      i++;
      let value: string;
      if (i < n && s.charCodeAt(i) === 34) {
        const quote = i;
        i++;
        let segment = i;
        value = '';
        let closed = false;
        let bad = false;
        while (i < n) {
          const q = s.charCodeAt(i);
          if (q === 34) {
            closed = true;
            break;
          }
          if (q === 92) {
            if (i + 1 >= n || !isPairChar(s.charCodeAt(i + 1))) {
              bad = i + 1 < n;
              break;
            }
            value += s.slice(segment, i);
            segment = i + 1;
            i += 2;
            continue;
          }
          if (!isQuotedChar(q)) {
            bad = true;
            break;
          }
          i++;
        }
        if (!closed) {
          element.broken = true;
          i = bad ? nextComma(s, i) : nextComma(s, quote + 1);
          break;
        }
        value += s.slice(segment, i);
        i++;
      } else {
        const valueStart = i;
        while (i < n && isTchar(s.charCodeAt(i))) i++;
        if (i === valueStart) {
          element.broken = true;
          i = nextComma(s, i);
          break;
        }
        value = s.slice(valueStart, i);
      }
      const after = skipOws(s, i);
      if (after < n && s.charCodeAt(after) !== 59 && s.charCodeAt(after) !== 44) {
        element.broken = true;
        i = nextComma(s, after);
        break;
      }
      i = after;
      pairs++;
      const known = KNOWN.indexOf(name as (typeof KNOWN)[number]);
      if (known >= 0) {
        const key = KNOWN[known]!;
        if (element[key] !== undefined) element.broken = true;
        else element[key] = value;
      } else {
        extensionNames ??= [];
        if (extensionNames.includes(name)) element.broken = true;
        else extensionNames.push(name);
      }
    }
    if (pairs > 0 || element.broken) elements.push(element);
    i++;
  }
  return elements;
}
