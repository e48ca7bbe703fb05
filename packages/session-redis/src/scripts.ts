// The Lua scripts: each session operation is one atomic script on the keys of one Cluster slot.
import { createHash } from 'node:crypto';

/** A Lua script run by EVALSHA (falling back to EVAL on NOSCRIPT). */
export interface LuaScript {
  readonly name: string;
  readonly numberOfKeys: number;
  readonly lua: string;
  readonly sha: string;
}

function script(name: string, numberOfKeys: number, lua: string): LuaScript {
  return { name, numberOfKeys, lua, sha: createHash('sha1').update(lua).digest('hex') };
}

/*
 * Hash layout of a session: `cookie` (cookie JSON without its expiry), `exp` (cookie expiry, ms
 * since epoch), `ma` (cookie originalMaxAge, ms), `ttl` (expiry in ms when it does not come from
 * the cookie), `at` (when a `ttl` session's expiry was last set, ms since epoch; absent in
 * sessions written before it existed), `born` (creation, ms since epoch), and `.<key>` for each
 * top-level session key.
 *
 * A plain read is HGETALL, without a script: the store decides from `exp`/`ma` or `ttl`/`at`
 * whether the rolling touch is due (touch-schedule.ts). This script is for the reads the store
 * already knows are due.
 */

/**
 * Reads a session and, unless its expiry was refreshed within the freshness window (1% of the
 * period, 1 s to 60 s, as freshnessWindowMs in expiry.ts), extends it (the rolling touch), all in
 * one round trip. KEYS: session. ARGV: touch (1/0), now, maxLifetime (0 = none).
 * Reply: {} when there is no session, else { field, value, …, state } where state is '1' when
 * touched or fresh, '0' otherwise (appended, not prepended: inserting at the front shifts the
 * whole table, which showed in Redis's CPU per call).
 */
export const readScript = script(
  'read',
  1,
  `
local h = redis.call('HGETALL', KEYS[1])
local n = #h
if n == 0 then return h end
local touch = ARGV[1] == '1'
local maxLife = tonumber(ARGV[3])
if not touch and maxLife == 0 then
  h[n + 1] = '0'
  return h
end
local now = tonumber(ARGV[2])
local ttl, ma, born, exp, expAt, at, atAt
for i = 1, n, 2 do
  local f = h[i]
  if f == 'ttl' then ttl = tonumber(h[i + 1])
  elseif f == 'ma' then ma = tonumber(h[i + 1])
  elseif f == 'born' then born = tonumber(h[i + 1])
  elseif f == 'exp' then exp = tonumber(h[i + 1]); expAt = i + 1
  elseif f == 'at' then at = tonumber(h[i + 1]); atAt = i + 1 end
end
local left
if maxLife > 0 and born then
  left = born + maxLife - now
  if left <= 0 then
    redis.call('DEL', KEYS[1])
    return {}
  end
end
local state = '0'
if touch and (ttl or ma) then
  local pttl = ttl or ma
  local window = math.min(60000, math.max(1000, math.floor(pttl / 100)))
  local last
  if ttl then last = at elseif exp then last = exp - ma end
  local fresh
  if last then
    fresh = now - last <= window
  else
    fresh = pttl - redis.call('PTTL', KEYS[1]) <= window
  end
  if not fresh then
    if left and left < pttl then pttl = left end
    redis.call('PEXPIRE', KEYS[1], pttl)
    local e = ma and string.format('%.0f', now + ma)
    if ttl and e then
      redis.call('HSET', KEYS[1], 'at', ARGV[2], 'exp', e)
    elseif ttl then
      redis.call('HSET', KEYS[1], 'at', ARGV[2])
    else
      redis.call('HSET', KEYS[1], 'exp', e)
    end
    if e then
      if expAt then h[expAt] = e else h[n + 1] = 'exp'; h[n + 2] = e; n = n + 2 end
    end
    if ttl then
      if atAt then h[atAt] = ARGV[2] else h[n + 1] = 'at'; h[n + 2] = ARGV[2]; n = n + 2 end
    end
  end
  state = '1'
end
h[n + 1] = state
return h
`,
);

/**
 * Writes a session: 'delta' applies only the keys the request changed (and refuses when the
 * session is gone, so nothing resurrects it); 'full' writes a whole new session unless a
 * tombstone says the id was destroyed. Strict mode compares each changed key with the value the
 * request read and writes nothing on a mismatch.
 * KEYS: session, tombstone. ARGV: mode, now, pttl (0 = lifetime only), maxLifetime, strict,
 * S (count of field/value arguments), D (count of fields to delete), C (count of strict checks),
 * then S arguments field, value, … (data and meta fields, HSET order), D fields, and C pairs
 * field, expected where expected is 'a' (absent when read) or '=' .. the value read.
 * The arguments arrive in the order the commands take them, so the script hands them to HSET and
 * HDEL with unpack instead of building tables. The common delta write runs two commands: PEXPIRE,
 * whose 0 for a missing key is the existence check, then HSET. The creation time is read only when
 * needed (maxLifetime, or a full write that keeps the original one); strict checks need the
 * existence checked before them (EXISTS), so that a destroyed session reads as gone, not as a
 * conflict.
 * A delta for a session that is missing answers 'gone' when its tombstone says it was destroyed,
 * else 'lost': it expired, or a failover lost it (issue #19); the store tells the two apart.
 * Reply: {'ok'} | {'gone'} | {'lost'} | {'expired'} | {'conflict', field…}.
 */
export const writeScript = script(
  'write',
  2,
  `
local key = KEYS[1]
local function missing()
  if redis.call('EXISTS', KEYS[2]) == 1 then return {'gone'} end
  return {'lost'}
end
local full = ARGV[1] ~= 'delta'
local now = tonumber(ARGV[2])
local pttl = tonumber(ARGV[3])
local maxLife = tonumber(ARGV[4])
local c = tonumber(ARGV[8])
local born
local extended = false
if full then
  if redis.call('EXISTS', KEYS[2]) == 1 then return {'gone'} end
  born = redis.call('HGET', key, 'born')
  if born then
    if ARGV[5] == '1' then return {'conflict'} end
    redis.call('DEL', key)
  else
    born = ARGV[2]
  end
elseif maxLife > 0 then
  born = redis.call('HGET', key, 'born')
  if not born then return missing() end
elseif c > 0 then
  if redis.call('EXISTS', key) == 0 then return missing() end
else
  if redis.call('PEXPIRE', key, pttl) == 0 then return missing() end
  extended = true
end
if maxLife > 0 then
  local left = tonumber(born) + maxLife - now
  if left <= 0 then
    redis.call('DEL', key)
    return {'expired'}
  end
  if pttl == 0 or left < pttl then pttl = left end
end
local s = tonumber(ARGV[6])
local d = tonumber(ARGV[7])
local first = 9
if c > 0 then
  local at = first + s + d
  local conflicts = {'conflict'}
  for j = 0, c - 1, 500 do
    local m = math.min(c - j, 500)
    local fields = {}
    for i = 1, m do fields[i] = ARGV[at + (j + i - 1) * 2] end
    local current = redis.call('HMGET', key, unpack(fields))
    for i = 1, m do
      local expected = ARGV[at + (j + i - 1) * 2 + 1]
      local cur = current[i]
      if expected == 'a' then
        if cur then conflicts[#conflicts + 1] = fields[i] end
      elseif cur ~= string.sub(expected, 2) then
        conflicts[#conflicts + 1] = fields[i]
      end
    end
  end
  if #conflicts > 1 then return conflicts end
end
-- unpack is bounded by Lua's C stack (8000 values): large sessions go in chunks. A full write
-- stores its creation time with the first chunk.
local last = first + s - 1
for i = first, last, 200 do
  if full and i == first then
    redis.call('HSET', key, 'born', born, unpack(ARGV, i, math.min(i + 199, last)))
  else
    redis.call('HSET', key, unpack(ARGV, i, math.min(i + 199, last)))
  end
end
if full and s == 0 then redis.call('HSET', key, 'born', born) end
for i = first + s, first + s + d - 1, 100 do
  redis.call('HDEL', key, unpack(ARGV, i, math.min(i + 99, first + s + d - 1)))
end
if not extended then redis.call('PEXPIRE', key, pttl) end
return {'ok'}
`,
);

/**
 * The common save, a delta that only sets fields (no strict checks, no deletions, no lifetime
 * cap), without the general script's decisions: PEXPIRE, whose 0 for a missing key refuses the
 * write (no resurrection), then HSET. About 1 µs of Redis CPU less per save than writeScript.
 * KEYS: session, tombstone. ARGV: pttl, then field, value, … (at most {@link DELTA_SET_MAX_ARGS}).
 * Reply: 1 written, 0 gone (destroyed: the tombstone is there), -1 lost (missing without one).
 */
export const deltaSetScript = script(
  'delta-set',
  2,
  `
if redis.call('PEXPIRE', KEYS[1], ARGV[1]) == 0 then
  if redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
  return -1
end
redis.call('HSET', KEYS[1], unpack(ARGV, 2))
return 1
`,
);

/**
 * The save of a session whose expiry Redis extended within the freshness window (the same window
 * that skips a touch, freshnessWindowMs in expiry.ts): only HSET of the changed fields, the expiry
 * (key TTL and `exp`/`at`) left as it is, one command instead of two. HSET's count of fields it
 * created is the existence check: every field the request read is there in an existing hash, so
 * more new fields than the request added means the hash was missing, and `cookie` (never sent on
 * this path) being absent confirms it; the hash HSET just made is deleted in the same script, so
 * nothing resurrects. The store sends it only when at least one field sent was read (otherwise a
 * missing hash would not show) and the cookie JSON did not change.
 * KEYS: session, tombstone. ARGV: fields the request adds, then field, value, … (at most
 * {@link DELTA_SET_MAX_ARGS}). Reply as deltaSetScript: 1 written, 0 gone, -1 lost.
 */
export const freshSetScript = script(
  'fresh-set',
  2,
  `
if redis.call('HSET', KEYS[1], unpack(ARGV, 2)) > tonumber(ARGV[1]) and redis.call('HEXISTS', KEYS[1], 'cookie') == 0 then
  redis.call('DEL', KEYS[1])
  if redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
  return -1
end
return 1
`,
);

/** Field/value arguments deltaSetScript takes (unpack is bounded by Lua's C stack; larger saves use writeScript). */
export const DELTA_SET_MAX_ARGS = 200;

/**
 * Extends the expiry of an existing session and stores its new `exp` and/or `at`; a missing
 * session stays missing (PEXPIRE answers 0 and nothing is written). KEYS: session. ARGV: now,
 * pttl (0 = lifetime only), maxLifetime, then field, value pairs to store (none, exp, at).
 * Reply: 1 touched, 0 gone.
 */
export const touchScript = script(
  'touch',
  1,
  `
local pttl = tonumber(ARGV[2])
local maxLife = tonumber(ARGV[3])
if maxLife > 0 then
  local born = redis.call('HGET', KEYS[1], 'born')
  if not born then return 0 end
  local left = tonumber(born) + maxLife - tonumber(ARGV[1])
  if left <= 0 then
    redis.call('DEL', KEYS[1])
    return 0
  end
  if pttl == 0 or left < pttl then pttl = left end
end
if redis.call('PEXPIRE', KEYS[1], pttl) == 0 then return 0 end
if #ARGV > 3 then redis.call('HSET', KEYS[1], unpack(ARGV, 4)) end
return 1
`,
);

/** Deletes a session and leaves its tombstone. KEYS: session, tombstone. ARGV: tombstone ttl ms. */
export const destroyScript = script(
  'destroy',
  2,
  `
redis.call('DEL', KEYS[1])
redis.call('SET', KEYS[2], '1', 'PX', ARGV[1])
return 1
`,
);
