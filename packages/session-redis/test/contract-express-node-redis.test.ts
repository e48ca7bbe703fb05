// The store contract behind express-session, on a node-redis client (the one connect-redis 9 requires).

import { sessionContract } from './contract-suite.js';
import { expressFramework } from './harness.js';

sessionContract(expressFramework, 'node-redis');
