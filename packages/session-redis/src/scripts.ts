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
 * the cookie), `born` (creation, ms since epoch), and `.<key>` for each top-level session key.
 */

/**
 * Reads a session and, unless its expiry was refreshed within the freshness window (1% of the
 * period, 1 s to 60 s, as freshnessWindowMs in expiry.ts), extends it (the rolling touch), all in
 * one round trip. KEYS: session. ARGV: touch (1/0), now, maxLifetime (0 = none).
 * Reply: { '1' when touched or fresh | '0', field, value, … }.
 */
export const readScript = script(
  'read',
  1,
  `
local h = redis.call('HGETALL', KEYS[1])
local n = #h
if n == 0 then return {'0'} end
local touch = ARGV[1] == '1'
local maxLife = tonumber(ARGV[3])
if not touch and maxLife == 0 then
  table.insert(h, 1, '0')
  return h
end
local now = tonumber(ARGV[2])
local ttl, ma, born, exp, expAt
for i = 1, n, 2 do
  local f = h[i]
  if f == 'ttl' then ttl = tonumber(h[i + 1])
  elseif f == 'ma' then ma = tonumber(h[i + 1])
  elseif f == 'born' then born = tonumber(h[i + 1])
  elseif f == 'exp' then exp = tonumber(h[i + 1]); expAt = i + 1 end
end
local left
if maxLife > 0 and born then
  left = born + maxLife - now
  if left <= 0 then
    redis.call('DEL', KEYS[1])
    return {'0'}
  end
end
local state = '0'
if touch and (ttl or ma) then
  local pttl = ttl or ma
  local window = math.min(60000, math.max(1000, math.floor(pttl / 100)))
  local fresh
  if ma and exp and not ttl then
    fresh = (now + ma) - exp <= window
  else
    fresh = pttl - redis.call('PTTL', KEYS[1]) <= window
  end
  if not fresh then
    if left and left < pttl then pttl = left end
    redis.call('PEXPIRE', KEYS[1], pttl)
    if ma then
      local e = string.format('%.0f', now + ma)
      redis.call('HSET', KEYS[1], 'exp', e)
      if expAt then h[expAt] = e else h[n + 1] = 'exp'; h[n + 2] = e end
    end
  end
  state = '1'
end
table.insert(h, 1, state)
return h
`,
);

/**
 * Writes a session: 'delta' applies only the keys the request changed (and refuses when the
 * session is gone, so nothing resurrects it); 'full' writes a whole new session unless a
 * tombstone says the id was destroyed. Strict mode compares each changed key with the value the
 * request read and writes nothing on a mismatch.
 * KEYS: session, tombstone. ARGV: mode, now, pttl (0 = lifetime only), maxLifetime, strict,
 * cookie, exp, ma, ttl ('' = unchanged, '-' = remove), then (op s|d, field, value, expected)*
 * where expected is 'a' (absent when read) or '=' .. the value read.
 * Reply: {'ok'} | {'gone'} | {'expired'} | {'conflict', field…}.
 */
export const writeScript = script(
  'write',
  2,
  `
local key = KEYS[1]
local mode = ARGV[1]
local now = tonumber(ARGV[2])
local strict = ARGV[5] == '1'
local born = redis.call('HGET', key, 'born')
if mode == 'delta' then
  if not born then return {'gone'} end
else
  if redis.call('EXISTS', KEYS[2]) == 1 then return {'gone'} end
  if born then
    if strict then return {'conflict'} end
    redis.call('DEL', key)
  else
    born = ARGV[2]
  end
end
local pttl = tonumber(ARGV[3])
local maxLife = tonumber(ARGV[4])
if maxLife > 0 then
  local left = tonumber(born) + maxLife - now
  if left <= 0 then
    redis.call('DEL', key)
    return {'expired'}
  end
  if pttl == 0 or left < pttl then pttl = left end
end
local sets, dels, fields = {}, {}, {}
for i = 10, #ARGV, 4 do
  local field = ARGV[i + 1]
  fields[#fields + 1] = field
  if ARGV[i] == 's' then
    sets[#sets + 1] = field
    sets[#sets + 1] = ARGV[i + 2]
  else
    dels[#dels + 1] = field
  end
end
if strict and mode == 'delta' and #fields > 0 then
  local conflicts = {'conflict'}
  for s = 1, #fields, 500 do
    local e = math.min(s + 499, #fields)
    local current = redis.call('HMGET', key, unpack(fields, s, e))
    for j = s, e do
      local expected = ARGV[10 + (j - 1) * 4 + 3]
      local cur = current[j - s + 1]
      if expected == 'a' then
        if cur then conflicts[#conflicts + 1] = fields[j] end
      elseif cur ~= string.sub(expected, 2) then
        conflicts[#conflicts + 1] = fields[j]
      end
    end
  end
  if #conflicts > 1 then return conflicts end
end
local meta = { 'cookie', 'exp', 'ma', 'ttl' }
for j = 1, 4 do
  local v = ARGV[5 + j]
  if v == '-' then dels[#dels + 1] = meta[j]
  elseif v ~= '' then
    sets[#sets + 1] = meta[j]
    sets[#sets + 1] = v
  end
end
if mode ~= 'delta' then
  sets[#sets + 1] = 'born'
  sets[#sets + 1] = born
end
for i = 1, #sets, 200 do
  redis.call('HSET', key, unpack(sets, i, math.min(i + 199, #sets)))
end
for i = 1, #dels, 100 do
  redis.call('HDEL', key, unpack(dels, i, math.min(i + 99, #dels)))
end
redis.call('PEXPIRE', key, pttl)
return {'ok'}
`,
);

/**
 * Extends the expiry of an existing session and records the cookie's new expiry; a missing
 * session stays missing. KEYS: session. ARGV: now, pttl (0 = lifetime only), maxLifetime, exp
 * ('' = unchanged). Reply: 1 touched, 0 gone.
 */
export const touchScript = script(
  'touch',
  1,
  `
local born = redis.call('HGET', KEYS[1], 'born')
if not born then return 0 end
local now = tonumber(ARGV[1])
local pttl = tonumber(ARGV[2])
local maxLife = tonumber(ARGV[3])
if maxLife > 0 then
  local left = tonumber(born) + maxLife - now
  if left <= 0 then
    redis.call('DEL', KEYS[1])
    return 0
  end
  if pttl == 0 or left < pttl then pttl = left end
end
redis.call('PEXPIRE', KEYS[1], pttl)
if ARGV[4] ~= '' then redis.call('HSET', KEYS[1], 'exp', ARGV[4]) end
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
