// The store contract behind @fastify/session, on a node-redis client (the one connect-redis 9 requires).

import { sessionContract } from './contract-suite.js';
import { fastifyFramework } from './harness.js';

sessionContract(fastifyFramework, 'node-redis');
