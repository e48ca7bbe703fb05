// A reference for the bench, not a store to use: connect-redis's design (one string per session, GET, whole-session
// JSON) with only the conditional write a merge-safe, resurrection-proof store needs added. What it costs beside
// connect-redis is the price of that condition alone, without anything else lbkit does.
import { createHash } from 'node:crypto';
import session from 'express-session';

/**
 * Saves only when the stored version is still the one the request read (compare-and-set), so a concurrent save is
 * never overwritten and a destroyed or expired session is never written back. KEYS: session. ARGV: version read,
 * new value (version, newline, JSON), expiry in ms. Reply: 1 saved, 0 gone, -1 changed since read.
 */
const CAS = `
local head = redis.call('GETRANGE', KEYS[1], 0, 20)
if head == '' then return 0 end
local nl = string.find(head, '\\n', 1, true)
if not nl or string.sub(head, 1, nl - 1) ~= ARGV[1] then return -1 end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
return 1`;
const CAS_SHA = createHash('sha1').update(CAS).digest('hex');

/**
 * What a request read (version and text), carried on its session under a symbol: invisible to JSON and to
 * express-session's copies (for…in), and a plain assignment, the cheapest way to carry it.
 */
const READ = Symbol('read');

/** Keys of `data` changed since `before` was read, applied to `current` (the merge of a conflicting save). */
function merge(current, before, data) {
  for (const key of Object.keys(data)) {
    if (key !== 'cookie' && JSON.stringify(data[key]) !== JSON.stringify(before[key]))
      current[key] = data[key];
  }
  for (const key of Object.keys(before)) if (!Object.hasOwn(data, key)) delete current[key];
  current.cookie = data.cookie;
  return current;
}

export class CasFloorStore extends session.Store {
  /** Commands sent (round trips), for the bench. */
  sent = 0;

  constructor(client) {
    super();
    this.client = client;
  }

  /** The stored text and its parts; null when there is no session. */
  async #read(id) {
    this.sent++;
    const text = await this.client.get(`cas:${id}`);
    if (text === null) return null;
    const nl = text.indexOf('\n');
    return { version: text.slice(0, nl), text, data: JSON.parse(text.slice(nl + 1)) };
  }

  get(id, callback) {
    this.#read(id).then((read) => {
      if (read === null) return callback(null, null);
      read.data[READ] = read;
      callback(null, read.data);
    }, callback);
  }

  createSession(req, data) {
    const created = super.createSession(req, data);
    created[READ] = data[READ];
    return created;
  }

  set(id, data, callback) {
    this.#save(id, data).then(() => callback(null), callback);
  }

  async #save(id, data) {
    const ttl = String(data.cookie?.originalMaxAge ?? 86_400_000);
    let read = data[READ];
    let value = data;
    /** The session as this request first read it, parsed on a conflict only. */
    let before;
    if (read === undefined) {
      // A new session: nothing to compare with (a real store would also check a tombstone here).
      this.sent++;
      const text = `1\n${JSON.stringify(data)}`;
      await this.client.set(`cas:${id}`, text, { PX: Number(ttl) });
      data[READ] = { version: '1', text };
      return;
    }
    for (let attempt = 0; attempt < 10; attempt++) {
      const version = String(Number(read.version) + 1);
      const text = `${version}\n${JSON.stringify(value)}`;
      const args = ['1', `cas:${id}`, read.version, text, ttl];
      this.sent++;
      let reply;
      try {
        reply = await this.client.sendCommand(['EVALSHA', CAS_SHA, ...args]);
      } catch (error) {
        if (!String(error?.message).startsWith('NOSCRIPT')) throw error;
        this.sent++;
        reply = await this.client.sendCommand(['EVAL', CAS, ...args]);
      }
      if (reply === 0) return; // destroyed or expired meanwhile: it stays gone
      if (reply === 1) {
        data[READ] = { version, text };
        return;
      }
      // Another request saved since this one read: apply this request's changes (against what it first read)
      // to what is stored now, and compare with that version next.
      before ??= JSON.parse(read.text.slice(read.text.indexOf('\n') + 1));
      const current = await this.#read(id);
      if (current === null) return;
      value = merge(current.data, before, data);
      read = current;
    }
    throw new Error('cas-floor: the session kept changing');
  }

  touch(id, data, callback) {
    this.sent++;
    this.client
      .pExpire(`cas:${id}`, data.cookie?.originalMaxAge ?? 86_400_000)
      .then(() => callback(null), callback);
  }

  destroy(id, callback) {
    this.sent++;
    this.client.del(`cas:${id}`).then(() => callback(null), callback);
  }
}
