// How the store calls its Lua scripts (scripts.ts): each one's keys and arguments, and its reply decoded into a typed result.
import type { Expiry } from './expiry.js';
import {
  DELTA_SET_MAX_ARGS,
  deltaSetScript,
  destroyScript,
  freshSetScript,
  type LuaScript,
  readScript,
  touchScript,
  writeScript,
} from './scripts.js';

/** One script invocation and how to read its reply. */
export interface ScriptCall<T> {
  readonly script: LuaScript;
  readonly keys: readonly string[];
  readonly args: ReadonlyArray<string | number>;
  /** The reply as a typed result. */
  decode(reply: unknown): T;
  /**
   * Whether the result says the call wrote something that must survive a failover, which
   * `durability` then confirms with WAIT; absent for calls it does not confirm (reads, touches).
   */
  readonly wrote?: (result: T) => boolean;
}

/** What a save did. `lost`: the session is missing without a tombstone (expired, or lost by Redis). */
export type WriteOutcome =
  | { readonly status: 'ok' | 'gone' | 'lost' | 'expired' }
  | { readonly status: 'conflict'; readonly keys: readonly string[] };

const OK: WriteOutcome = { status: 'ok' };
const GONE: WriteOutcome = { status: 'gone' };
const LOST: WriteOutcome = { status: 'lost' };
const EXPIRED: WriteOutcome = { status: 'expired' };

/** What a save must carry to the write scripts (a WritePlan is one). */
export interface WriteArgs {
  readonly mode: 'full' | 'delta';
  /** The counts S, D, C, then S field/value arguments, D fields and C field/expected pairs. */
  readonly args: readonly string[];
  /** The expiry stays as stored (see WritePlan.keepsExpiry): freshSetScript, when nothing else applies. */
  readonly keepsExpiry: boolean;
  /** Fields set that the request did not read. */
  readonly created: number;
}

/** The write options the scripts apply. */
export interface WriteRules {
  readonly strict: boolean;
  readonly maxLifetimeMs: number;
}

// ---- read ----

/**
 * readScript with the touch: `{ field, value, …, state }`, or `[]` when there is no session. The
 * trailing state is left in place (decodeSession reads pairs only), so no copy is made per read.
 */
export function readAndTouchCall(key: string, now: number, maxLifetimeMs: number): ScriptCall<string[]> {
  return { script: readScript, keys: [key], args: ['1', now, maxLifetimeMs], decode: asStrings };
}

function asStrings(reply: unknown): string[] {
  return reply as string[];
}

// ---- write ----

/**
 * A save: freshSetScript when the plan only sets fields and keeps the expiry (one command in
 * Redis), deltaSetScript when it only sets fields (two commands), else writeScript. Both answer as a {@link WriteOutcome}.
 */
export function writeCall(
  session: string,
  tombstone: string,
  plan: WriteArgs,
  expiry: Expiry,
  now: number,
  rules: WriteRules,
): ScriptCall<WriteOutcome> {
  const keys = [session, tombstone];
  if (simpleDelta(plan, expiry, rules)) {
    // The field/value arguments after the three counts, built in one pass (no slice, no spread).
    const from = plan.args;
    const args: Array<string | number> = [plan.keepsExpiry ? plan.created : expiry.pttl];
    for (let i = 3; i < from.length; i++) args.push(from[i]!);
    return {
      script: plan.keepsExpiry ? freshSetScript : deltaSetScript,
      keys,
      args,
      decode: decodeDeltaSet,
      wrote: isOk,
    };
  }
  return {
    script: writeScript,
    keys,
    args: [plan.mode, now, expiry.pttl, rules.maxLifetimeMs, rules.strict ? '1' : '0', ...plan.args],
    decode: decodeWrite,
    wrote: isOk,
  };
}

/**
 * True when a save can use deltaSetScript: a delta that only sets fields (the counts say D = C =
 * 0), with an expiry, no strict checks and no lifetime cap to apply.
 */
function simpleDelta(plan: WriteArgs, expiry: Expiry, rules: WriteRules): boolean {
  const sets = Number(plan.args[0]);
  return (
    plan.mode === 'delta' &&
    !rules.strict &&
    rules.maxLifetimeMs === 0 &&
    expiry.pttl > 0 &&
    plan.args[1] === '0' &&
    plan.args[2] === '0' &&
    sets > 0 &&
    sets <= DELTA_SET_MAX_ARGS
  );
}

function decodeDeltaSet(reply: unknown): WriteOutcome {
  return reply === 1 ? OK : reply === 0 ? GONE : LOST;
}

function decodeWrite(reply: unknown): WriteOutcome {
  const parts = reply as string[];
  switch (parts[0]) {
    case 'ok':
      return OK;
    case 'gone':
      return GONE;
    case 'lost':
      return LOST;
    case 'expired':
      return EXPIRED;
    default:
      // 'conflict', then the data fields (`.<key>`) that differ.
      return { status: 'conflict', keys: parts.slice(1).map((field) => field.slice(1)) };
  }
}

function isOk(outcome: WriteOutcome): boolean {
  return outcome === OK;
}

/**
 * The field arguments of a save, in the order the write scripts hand them to HSET and HDEL: the
 * counts S, D, C, then S field/value arguments (`sets`), D fields to delete (`dels`) and C
 * field/expected pairs (`checks`, strict mode: expected is `a` for absent or `=` and the value read).
 */
export function writeFieldArgs(sets: readonly string[], dels: readonly string[], checks: readonly string[]) {
  const args: string[] = [String(sets.length), String(dels.length), String(checks.length / 2)];
  for (const arg of sets) args.push(arg);
  for (const field of dels) args.push(field);
  for (const arg of checks) args.push(arg);
  return args;
}

// ---- touch and destroy ----

/**
 * Extends an existing session and stores its new `exp`/`at` (empty strings: left alone). Not
 * confirmed by `durability`: a lost touch only shortens a session by one extension.
 */
export function touchCall(
  key: string,
  now: number,
  pttl: number,
  maxLifetimeMs: number,
  exp: string,
  at: string,
): ScriptCall<boolean> {
  const args: Array<string | number> = [now, pttl, maxLifetimeMs];
  if (exp !== '') args.push('exp', exp);
  if (at !== '') args.push('at', at);
  return { script: touchScript, keys: [key], args, decode: isOne };
}

function isOne(reply: unknown): boolean {
  return reply === 1;
}

/** Deletes a session and leaves its tombstone; confirmed by `durability` (a lost tombstone lets a logged-out session back). */
export function destroyCall(session: string, tombstone: string, tombstoneTtlMs: number): ScriptCall<boolean> {
  return {
    script: destroyScript,
    keys: [session, tombstone],
    args: [tombstoneTtlMs],
    decode: isOne,
    wrote: always,
  };
}

function always(): boolean {
  return true;
}
