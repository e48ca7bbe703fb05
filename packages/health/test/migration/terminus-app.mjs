// terminus's README configuration in a child process, so its SIGTERM handling cannot end the test runner.
import { createServer } from 'node:http';
import terminus from '@godaddy/terminus';

let healthy = process.argv[2] !== 'failing';
const server = createServer((req, res) => {
  if (req.url === '/toggle') {
    healthy = !healthy;
    res.end('toggled');
    return;
  }
  res.end('Hello, World!');
});
terminus.createTerminus(server, {
  healthChecks: {
    '/healthcheck': async () => {
      if (!healthy) throw new Error('db down');
    },
  },
  // Long enough for the test to ask /healthcheck while shutting down.
  beforeShutdown: () => new Promise((resolve) => setTimeout(resolve, 3_000)),
  onSendFailureDuringShutdown: async () => process.stdout.write('failure-during-shutdown\n'),
  useExit0: true,
});
server.listen(0, '127.0.0.1', () => process.stdout.write(`port ${server.address().port}\n`));
