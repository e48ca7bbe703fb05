#!/usr/bin/env node
// The lbkit-doctor command line (work in progress).
process.stderr.write('usage: lbkit-doctor <url>\n');
process.exitCode = 2;
