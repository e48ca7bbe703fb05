// rotateSession(req): a new session id with the same data, for express-session and @fastify/session.
import { randomBytes } from 'node:crypto';
import { SessionStoreError } from './errors.js';
import { attachRecord, findRecord } from './read-record.js';

/** What rotateSession needs of the store (RedisSessionStore is one). */
export interface RotatingStore {
  rotate(from: string, to: string, session?: object): Promise<unknown>;
  aliasOf(id: string): Promise<string | undefined>;
}

type Carrier = Record<string | symbol, unknown>;

/** A symbol of a @fastify/session Session, by its description (its class keeps them private). */
function symbolOf(session: object, description: string): symbol | undefined {
  return Object.getOwnPropertySymbols(session).find((symbol) => symbol.description === description);
}

/** A fresh id as express-session and @fastify/session generate them: 24 random bytes, base64url (32 characters). */
export function newSessionId(): string {
  return randomBytes(24).toString('base64url');
}

/** Gives the new session the read record of the old one under the new id, so its save stays a merge. */
function moveRecord(from: object, fromId: string, to: object, toId: string): void {
  const record = findRecord(from, fromId);
  if (record) attachRecord(to, { ...record, id: toId });
}

/** Points a @fastify/session Session at another id (its save then writes there and sets that cookie). */
export function retargetFastifySession(session: object, to: string): boolean {
  const idKey = symbolOf(session, 'sessionId');
  const encryptedKey = symbolOf(session, 'encryptedSessionId');
  const signerKey = symbolOf(session, 'cookieSignerKey');
  if (!idKey || !encryptedKey || !signerKey) return false;
  const carrier = session as Carrier;
  const signer = carrier[signerKey] as { sign(value: string): string };
  carrier[idKey] = to;
  carrier[encryptedKey] = signer.sign(to);
  return true;
}

function notRotatable(): SessionStoreError {
  return new SessionStoreError(
    'LBKIT_SESSION_ROTATION_UNSUPPORTED',
    'rotateSession needs an express-session or @fastify/session request whose store is a RedisSessionStore',
    { hint: 'Call it inside a route, after the session middleware or plugin, with the request object.' },
  );
}

/**
 * Moves the request's session object to id `to` (the data is already there): express-session gets
 * a new `Session` (its id is fixed at construction, as `regenerate` makes a new one), then saves it
 * and sets the cookie; a @fastify/session Session gets the new id, then its onSend hook saves it and
 * sets the cookie. The read record moves along, so the save stays a merge. False: not a session of either.
 */
export function moveRequestSession(req: object, from: string, to: string): boolean {
  const request = req as Carrier;
  const session = request.session as Carrier | undefined;
  if (session === null || typeof session !== 'object') return false;
  if (typeof request.sessionID === 'string' && request.sessionStore !== undefined) {
    const Session = session.constructor as new (req: object, data: object) => Carrier;
    request.sessionID = to;
    const moved = new Session(req, session);
    moveRecord(session, from, moved, to);
    request.session = moved;
    return true;
  }
  if (!retargetFastifySession(session, to)) return false;
  const record = findRecord(session, from);
  if (record) attachRecord(session, { ...record, id: to });
  const savedKey = symbolOf(session, 'saved');
  // With saveUninitialized: false an unchanged session would otherwise lose its cookie.
  if (savedKey) session[savedKey] = true;
  return true;
}

/** The store and current id of a request's session (express-session or @fastify/session). */
export function sessionOf(req: object): { store: RotatingStore; id: string } | undefined {
  const request = req as Carrier;
  const session = request.session as Carrier | undefined;
  if (session === null || typeof session !== 'object') return undefined;
  if (typeof request.sessionID === 'string') {
    const store = request.sessionStore as RotatingStore | undefined;
    return typeof store?.rotate === 'function' ? { store, id: request.sessionID } : undefined;
  }
  const storeKey = symbolOf(session, 'sessionStore');
  const store = storeKey ? (session[storeKey] as RotatingStore | undefined) : undefined;
  const id = session.sessionId;
  return typeof id === 'string' && typeof store?.rotate === 'function' ? { store, id } : undefined;
}

/**
 * Rotates the request's session id (login, privilege change): the same data under a new id, the
 * old id removed (an alias for `rotationGraceMs`), the new cookie set on the response. Works with
 * express-session (`req.session`) and @fastify/session (`request.session`) whose store is a
 * RedisSessionStore. Resolves to the new id.
 */
export async function rotateSession(req: object): Promise<string> {
  const found = sessionOf(req);
  if (!found) throw notRotatable();
  const to = newSessionId();
  await found.store.rotate(found.id, to, (req as { session: object }).session);
  if (!moveRequestSession(req, found.id, to)) throw notRotatable();
  return to;
}
