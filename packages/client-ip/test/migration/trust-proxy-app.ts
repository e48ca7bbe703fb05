import { clientIp } from '@lbkit/express';
import express from 'express';

export function createApp(): express.Express {
  const app = express();
  // Was: app.set('trust proxy', '127.0.0.1, 10.0.0.0/8');
  app.use(clientIp({ trust: '127.0.0.1, 10.0.0.0/8', frameworkFields: true }));
  app.get('/whoami', (req, res) => {
    const { ip, ips, protocol, secure, hostname } = req;
    res.json({ ip, ips, protocol, secure, hostname });
  });
  return app;
}
