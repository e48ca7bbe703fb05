// Lua scripts of session id rotation (rotation.ts): each runs on the keys of one Cluster slot.

import { createHash } from 'node:crypto';
import type { LuaScript } from './scripts.js';

function script(name: string, numberOfKeys: number, lua: string): LuaScript {
  return { name, numberOfKeys, lua, sha: createHash('sha1').update(lua).digest('hex') };
}

/** A session's fields and PTTL in one step. KEYS: session. Reply: {} or { field, value, …, pttl }. */
export const snapshotScript = script(
  'rotate-snapshot',
  1,
  `
local h = redis.call('HGETALL', KEYS[1])
if #h == 0 then return h end
h[#h + 1] = redis.call('PTTL', KEYS[1])
return h
`,
);

/**
 * Writes the copy under the new id (replacing an earlier copy of the same rotation), unless the
 * new id has a tombstone. KEYS: new session, its tombstone. ARGV: pttl (-1 = none), field, value, …
 * Reply: 1 written, 0 refused.
 */
export const copyInScript = script(
  'rotate-copy',
  2,
  `
if redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
redis.call('DEL', KEYS[1])
for i = 2, #ARGV, 200 do
  redis.call('HSET', KEYS[1], unpack(ARGV, i, math.min(i + 199, #ARGV)))
end
local pttl = tonumber(ARGV[1])
if pttl > 0 then redis.call('PEXPIRE', KEYS[1], pttl) end
return 1
`,
);

/**
 * Ends the old id if it still holds exactly the copied fields: deletes it, leaves its tombstone
 * and (grace > 0) the alias to the new id. A change since the snapshot answers 'changed' with the
 * current fields and PTTL, so the copy is redone; a missing session answers 'gone'.
 * KEYS: old session, its tombstone, its alias. ARGV: grace ms, tombstone ttl ms, new id, then the
 * copied field, value, … Reply: {'ok'} | {'gone'} | {'changed', field, value, …, pttl}.
 */
export const sealScript = script(
  'rotate-seal',
  3,
  `
local h = redis.call('HGETALL', KEYS[1])
if #h == 0 then return {'gone'} end
local same = #h == #ARGV - 3
if same then
  local want = {}
  for i = 4, #ARGV, 2 do want[ARGV[i]] = ARGV[i + 1] end
  for i = 1, #h, 2 do
    if want[h[i]] ~= h[i + 1] then same = false; break end
  end
end
if not same then
  h[#h + 1] = redis.call('PTTL', KEYS[1])
  table.insert(h, 1, 'changed')
  return h
end
redis.call('DEL', KEYS[1])
redis.call('SET', KEYS[2], '1', 'PX', ARGV[2])
if tonumber(ARGV[1]) > 0 then redis.call('SET', KEYS[3], ARGV[3], 'PX', ARGV[1]) end
return {'ok'}
`,
);
