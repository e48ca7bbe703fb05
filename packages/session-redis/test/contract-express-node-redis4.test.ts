// The store contract behind express-session, on a node-redis 4 client (the redis4 alias of redis@4).

import { sessionContract } from './contract-suite.js';
import { expressFramework } from './harness.js';

sessionContract(expressFramework, 'node-redis 4');
