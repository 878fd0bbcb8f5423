#!/usr/bin/env node
'use strict';
const path = require('node:path');
const fs = require('node:fs');
const cli = path.join(__dirname, '..', 'dist', 'cli.js');
if (!fs.existsSync(cli)) {
  process.stderr.write('smooth-reload: dist/cli.js is missing; build it with "npm run build" (npm ci runs it for you).\n');
  process.exit(1);
}
require(cli).run();
