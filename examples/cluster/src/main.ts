// `pnpm demo`: starts INSTANCES (default 2) Express demo workers under node:cluster on one port.
import cluster from 'node:cluster';
import { readConfig } from '@lbkit-examples/shared';

const config = readConfig();
const instances = Number(process.env.INSTANCES ?? 2);

if (cluster.isPrimary) {
  console.log(`lbkit demo: ${instances} instances on http://${config.host}:${config.port} (Ctrl-C to stop)`);
  console.log('  try: /whoami  /session  /health/ready  /slow?ms=500  /work?ms=20');
  for (let i = 0; i < instances; i++) cluster.fork({ INSTANCE_ID: `instance-${i + 1}` });
  let stopping = false;
  const stop = (): void => {
    stopping = true;
    for (const worker of Object.values(cluster.workers ?? {})) worker?.kill('SIGTERM');
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  cluster.on('exit', (worker, code) => {
    if (!stopping) console.log(`worker ${worker.process.pid} exited with ${code}`);
  });
} else {
  // Each worker runs the Express demo's own entry point; node:cluster shares the listening port.
  const entry = new URL('../../express/dist/main.js', import.meta.url).href;
  await import(entry);
}
