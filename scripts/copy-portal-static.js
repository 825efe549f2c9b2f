#!/usr/bin/env node
// Part of `npm run build`: tsc emits JavaScript only, so the portal's static files (HTML, CSS, ES modules) are
// copied beside the built router (dist/src/portal/static), where PORTAL_STATIC_DIR resolves in the built
// `start:api` exactly as it does in src/ under ts-node. The old copy is removed first: no stale file is served.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const from = path.join(root, 'src', 'portal', 'static');
const to = path.join(root, 'dist', 'src', 'portal', 'static');

fs.rmSync(to, { recursive: true, force: true });
fs.cpSync(from, to, { recursive: true });
process.stdout.write(`portal static files: ${path.relative(root, from)} -> ${path.relative(root, to)}\n`);
