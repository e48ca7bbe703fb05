// The store contract behind @fastify/session.

import { sessionContract } from './contract-suite.js';
import { fastifyFramework } from './harness.js';

sessionContract(fastifyFramework);
