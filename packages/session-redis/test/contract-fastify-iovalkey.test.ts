// The store contract behind @fastify/session, on an iovalkey client (the Valkey fork of ioredis).

import { sessionContract } from './contract-suite.js';
import { fastifyFramework } from './harness.js';

sessionContract(fastifyFramework, 'iovalkey');
