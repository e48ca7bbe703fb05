// `pnpm demo`: several instances of the demo app and a live page of them; see examples/cluster/README.md.
import cluster from 'node:cluster';
import { readDemoOptions } from './options.js';
import { runPrimary } from './primary.js';
import { runWorker } from './worker.js';

if (cluster.isPrimary) {
  let options: ReturnType<typeof readDemoOptions>;
  try {
    options = readDemoOptions(process.argv.slice(2), process.env);
  } catch (error) {
    console.error(error instanceof Error ? error.message : error);
    process.exit(2);
  }
  await runPrimary(options);
} else {
  await runWorker();
}
