// The store contract behind @fastify/session, on a node-redis 4 client (the redis4 alias of redis@4).

import { sessionContract } from './contract-suite.js';
import { fastifyFramework } from './harness.js';

sessionContract(fastifyFramework, 'node-redis 4');
