// The store contract behind express-session, on an iovalkey client (the Valkey fork of ioredis).

import { sessionContract } from './contract-suite.js';
import { expressFramework } from './harness.js';

sessionContract(expressFramework, 'iovalkey');
