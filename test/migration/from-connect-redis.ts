// The session-redis README's "Migrating from connect-redis" example, type-checked and run beside connect-redis 9 by migration-connect-redis.test.ts.
import { RedisSessionStore } from '@lbkit/session-redis';
import express from 'express';
import session, { type Store } from 'express-session';
import type { createClient } from 'redis';

declare module 'express-session' {
  interface SessionData {
    views?: number;
    user?: string;
  }
}

/** The connected node-redis client connect-redis was given: the store takes it as it is. */
type NodeRedis = ReturnType<typeof createClient>;

// Was: new RedisStore({ client, prefix: 'myapp:', ttl: 3600, scanCount: 200 })
export function sessionStore(client: NodeRedis): RedisSessionStore {
  return new RedisSessionStore({
    client,
    prefix: 'myapp:', // keys are now myapp:{<id>} (a hash), beside connect-redis's myapp:<id>
    ttl: 3600, // seconds, for cookies without maxAge/expires; or (session) => seconds, as before
    scanCount: 200,
    legacyPrefix: 'myapp:', // sessions connect-redis wrote are still read (remove once they expired)
  });
}

/** The application, unchanged: it runs on either store. */
export function sessionApp(store: Store | RedisSessionStore) {
  const app = express();
  app.use(
    session({
      store: store as Store,
      secret: 'keyboard cat, at least 32 characters long',
      resave: false,
      saveUninitialized: false,
    }),
  );
  app.get('/views', (req, res) => {
    req.session.views = (req.session.views ?? 0) + 1;
    res.json({ views: req.session.views });
  });
  app.get('/whoami', (req, res) => {
    res.json({ user: req.session.user ?? null, views: req.session.views ?? null });
  });
  app.post('/login', (req, res, next) => {
    // regenerate: a new id on login (session fixation); the old session is destroyed.
    req.session.regenerate((error) => {
      if (error) return next(error);
      req.session.user = 'ada';
      req.session.save((saveError) => (saveError ? next(saveError) : res.json({ user: 'ada' })));
    });
  });
  app.post('/logout', (req, res, next) => {
    req.session.destroy((error) => (error ? next(error) : res.json({ user: null })));
  });
  return app;
}
