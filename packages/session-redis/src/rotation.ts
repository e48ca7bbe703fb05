// Session id rotation: the data moves to a new id, the old id stays an alias for the grace window.
import { SessionStoreError } from './errors.js';
import type { SessionKeys } from './keys.js';
import { copyInScript, sealScript, snapshotScript } from './rotation-scripts.js';
import type { ScriptCall } from './script-calls.js';
import { destroyCall } from './script-calls.js';

/** Runs a script call (the store's `#call`, with its durability rules). */
export type CallScript = <T>(call: ScriptCall<T>) => Promise<T>;
/** Reads a string key (a plain GET: no script needed to read an alias). */
export type ReadKey = (key: string) => Promise<string | null>;

/** How often a rotation redoes its copy when requests keep changing the old session meanwhile. */
const MAX_ATTEMPTS = 5;
/** Aliases this process resolved, kept so the same request's save goes to the new id. */
const ALIASES_MAX = 1024;

interface Alias {
  readonly to: string;
  readonly until: number;
}

/** The alias key of an id: `<prefix>{<id>}:moved`, in the old id's slot. */
export function aliasKey(keys: SessionKeys, id: string): string {
  return `${keys.session(id)}:moved`;
}

function pairsAndPttl(reply: unknown): { pairs: string[]; pttl: number } {
  const parts = reply as Array<string | number>;
  const pttl = Number(parts[parts.length - 1]);
  return { pairs: parts.slice(0, -1).map(String), pttl };
}

/**
 * Rotation in two single-slot steps (old and new ids hash to different Cluster slots, as every
 * session key is tagged by its own id): copy the old session to the new id, then, atomically in
 * the old slot, end the old id only if it still holds what was copied (else copy again). The new
 * id exists before the old one ends, so no request sees neither; a write to the old id between the
 * two steps makes the seal fail and the copy is redone with it, so no write is lost.
 */
export class Rotation {
  readonly #call: CallScript;
  readonly #read: ReadKey;
  readonly #keys: SessionKeys;
  readonly #graceMs: number;
  readonly #tombstoneTtlMs: number;
  readonly #aliases = new Map<string, Alias>();
  readonly #targets = new WeakMap<object, string>();

  constructor(call: CallScript, read: ReadKey, keys: SessionKeys, graceMs: number, tombstoneTtlMs: number) {
    this.#call = call;
    this.#read = read;
    this.#keys = keys;
    this.#graceMs = graceMs;
    this.#tombstoneTtlMs = tombstoneTtlMs;
  }

  /** The grace in effect (0: no alias). */
  get graceMs(): number {
    return this.#graceMs;
  }

  /** Moves session `from` to `to`. False when `from` is not stored (nothing to move). */
  async rotate(from: string, to: string): Promise<boolean> {
    const keys = this.#keys;
    const first = await this.#call<unknown>({
      script: snapshotScript,
      keys: [keys.session(from)],
      args: [],
      decode: (reply) => reply,
    });
    if ((first as unknown[]).length === 0) return false;
    let { pairs, pttl } = pairsAndPttl(first);
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const copied = await this.#call<boolean>({
        script: copyInScript,
        keys: [keys.session(to), keys.tombstone(to)],
        args: [pttl > 0 ? pttl : -1, ...pairs],
        decode: (reply) => reply === 1,
        wrote: (written) => written,
      });
      if (!copied) throw rotationError('LBKIT_SESSION_ROTATION_REFUSED', `the new id was destroyed before`);
      const sealed = await this.#call<unknown[]>({
        script: sealScript,
        keys: [keys.session(from), keys.tombstone(from), aliasKey(keys, from)],
        args: [this.#graceMs, this.#tombstoneTtlMs, to, ...pairs],
        decode: (reply) => reply as unknown[],
        wrote: () => true,
      });
      if (sealed[0] === 'ok') return true;
      if (sealed[0] === 'gone') {
        // Logged out meanwhile: the copy must not outlive it.
        await this.#call(destroyCall(keys.session(to), keys.tombstone(to), this.#tombstoneTtlMs));
        throw rotationError('LBKIT_SESSION_ROTATION_REFUSED', 'the session was destroyed while it rotated');
      }
      ({ pairs, pttl } = pairsAndPttl(sealed.slice(1)));
    }
    await this.#call(destroyCall(keys.session(to), keys.tombstone(to), this.#tombstoneTtlMs));
    throw rotationError(
      'LBKIT_SESSION_ROTATION_CONTENDED',
      `the session changed during each of ${MAX_ATTEMPTS} copies; it keeps its id`,
    );
  }

  /** The id that `from` aliases within the grace (read from Redis), or undefined. */
  async follow(from: string): Promise<string | undefined> {
    if (this.#graceMs === 0) return undefined;
    const to = await this.#read(aliasKey(this.#keys, from));
    return typeof to === 'string' ? to : undefined;
  }

  /** Notes that a read of `from` returned `session`, the data of `to`. */
  followed(from: string, to: string, session: object, now: number): void {
    this.remember(from, to, now);
    this.#targets.set(session, to);
  }

  /** Notes that `from` aliases `to`, so this process's saves of `from` within the grace go to `to`. */
  remember(from: string, to: string, now: number): void {
    if (this.#aliases.size >= ALIASES_MAX) this.#aliases.clear();
    this.#aliases.set(from, { to, until: now + this.#graceMs });
  }

  /** The id a save of `id` goes to: the new id when this process read `id` as an alias within the grace. */
  redirect(id: string, now: number): string {
    const alias = this.#aliases.get(id);
    if (alias === undefined) return id;
    if (alias.until <= now) {
      this.#aliases.delete(id);
      return id;
    }
    return alias.to;
  }

  /** The new id of data a read returned through an alias (express-session's createSession moves the request to it). */
  targetOf(data: object): string | undefined {
    return this.#targets.get(data);
  }
}

function rotationError(
  code: 'LBKIT_SESSION_ROTATION_REFUSED' | 'LBKIT_SESSION_ROTATION_CONTENDED',
  message: string,
) {
  return new SessionStoreError(code, message, {
    hint:
      code === 'LBKIT_SESSION_ROTATION_CONTENDED'
        ? 'Retry the rotation (e.g. on the next request); the session is intact under its old id.'
        : 'The user logged out meanwhile: answer as logged out.',
  });
}
