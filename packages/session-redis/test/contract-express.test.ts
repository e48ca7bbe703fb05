// The store contract behind express-session.

import { sessionContract } from './contract-suite.js';
import { expressFramework } from './harness.js';

sessionContract(expressFramework);
