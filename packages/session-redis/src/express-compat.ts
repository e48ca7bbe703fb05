// express-session's Store methods (createSession, load, regenerate), built without importing express-session.
import { SessionStoreError } from './errors.js';
import { attachRecord, READ_RECORD, type ReadRecord } from './read-record.js';
import type { SessionRequest, StoredSession } from './types.js';

/** `store.generate(req)`, which express-session assigns to its store when the middleware is created. */
export type Generate = (req: SessionRequest) => void;

interface ExpressClasses {
  readonly Session: new (req: SessionRequest, data: StoredSession) => object;
  readonly cookiePrototype: object;
}

const classesByGenerate = new WeakMap<Generate, ExpressClasses>();

/** The error of an express-session method called on a store express-session does not use. */
export function notExpress(): SessionStoreError {
  return new SessionStoreError(
    'LBKIT_SESSION_EXPRESS_SESSION_MISSING',
    'createSession/regenerate are express-session methods, and this store is not used by express-session',
    { hint: 'Pass the store to express-session (`session({ store })`) before it serves requests.' },
  );
}

/**
 * express-session builds a session with its own `Session` and `Cookie` classes. connect-redis gets
 * them by extending express-session's Store; lbkit imports no framework, so it asks the
 * middleware's own `generate` to build one throwaway session on a shadow of the request and takes
 * the constructor and cookie prototype from it (once per middleware).
 */
function expressClasses(generate: Generate | undefined, req: SessionRequest): ExpressClasses {
  if (typeof generate !== 'function') throw notExpress();
  const known = classesByGenerate.get(generate);
  if (known) return known;
  const shadow = Object.create(req) as SessionRequest & { headers?: unknown };
  // `load` passes a bare { sessionID, sessionStore }; generate reads headers when trust proxy is on.
  if (!shadow.headers) Object.defineProperty(shadow, 'headers', { value: {} });
  generate(shadow);
  const session = shadow.session as { constructor: ExpressClasses['Session']; cookie: object };
  const classes: ExpressClasses = {
    Session: session.constructor,
    cookiePrototype: Object.getPrototypeOf(session.cookie) as object,
  };
  classesByGenerate.set(generate, classes);
  return classes;
}

/** Mirrors express-session's `Cookie` constructor (session/cookie.js) on its real prototype. */
function buildCookie(prototype: object, data: Record<string, unknown>): Record<string, unknown> {
  const cookie = Object.create(prototype) as Record<string, unknown>;
  cookie.path = '/';
  cookie.maxAge = null;
  cookie.httpOnly = true;
  for (const key of Object.keys(data)) {
    if (key !== 'data') cookie[key] = data[key];
  }
  if (cookie.originalMaxAge === undefined || cookie.originalMaxAge === null)
    cookie.originalMaxAge = cookie.maxAge;
  return cookie;
}

/**
 * express-session's `Store#createSession`: turns stored data into `req.session`. The read record
 * `get` held for `data` (or put on its cookie) moves, non-enumerable, onto the session, where
 * `set` finds it.
 */
export function createExpressSession(
  generate: Generate | undefined,
  req: SessionRequest,
  data: StoredSession,
  held: ReadRecord | undefined,
): object {
  const { Session, cookiePrototype } = expressClasses(generate, req);
  const stored = (data.cookie ?? {}) as Record<string | symbol, unknown>;
  const expires = stored.expires;
  const originalMaxAge = stored.originalMaxAge;
  const record = held ?? (stored[READ_RECORD] as ReadRecord | undefined);
  const cookie = buildCookie(cookiePrototype, stored as Record<string, unknown>);
  if (typeof expires === 'string') cookie.expires = new Date(expires);
  cookie.originalMaxAge = originalMaxAge;
  data.cookie = cookie;
  const session = new Session(req, data);
  if (record) attachRecord(session, record);
  req.session = session;
  return session;
}
