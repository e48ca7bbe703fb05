// followRotation: requests still carrying a rotated id answer with the new cookie (Express and Fastify).
import { moveRequestSession, sessionOf } from './rotate-session.js';

type Next = (error?: unknown) => void;
interface EndableResponse {
  end(...args: unknown[]): unknown;
}

/** Moves the request to the new id when its session id was rotated since the request read it. */
async function follow(req: object): Promise<void> {
  const found = sessionOf(req);
  if (!found) return;
  const to = await found.store.aliasOf(found.id);
  if (to !== undefined) moveRequestSession(req, found.id, to);
}

/**
 * Express middleware, after `session()`: when the response ends, a request whose session id was
 * rotated meanwhile (by a login on any instance, within `rotationGraceMs`) is moved to the new id,
 * so express-session saves into the new session and sets the new cookie instead of putting the old
 * one back in the browser. Costs one GET per response with a session.
 */
export function followRotation(): (req: object, res: EndableResponse, next: Next) => void {
  return (req, res, next) => {
    const end = res.end;
    res.end = function endAfterFollow(this: EndableResponse, ...args: unknown[]) {
      // A failed alias check leaves the request on its id, as without the middleware.
      follow(req)
        .catch(() => undefined)
        .then(() => end.apply(this, args));
      return this;
    };
    next();
  };
}

/**
 * Fastify `onSend` hook, added **before** registering @fastify/session (hooks run in the order they
 * were added, and the session plugin's own onSend saves the session and sets the cookie): a request
 * whose id was rotated meanwhile is moved to the new id first, so it saves into the new session
 * and gets the new cookie. Costs one GET per response with a session.
 */
export async function followRotationHook<P>(
  request: { session?: unknown },
  _reply: unknown,
  payload: P,
): Promise<P> {
  if (request.session) await follow(request).catch(() => undefined);
  return payload;
}
