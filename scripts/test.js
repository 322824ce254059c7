#!/usr/bin/env node
'use strict';
// Runs every compiled *.test.js under dist/test with Node's own test runner.
// Arguments narrow the run to paths containing one of them (e.g. `npm test -- window-stats`).
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const root = path.resolve(__dirname, '..', 'dist', 'test');
const suites = ['lib', 'nodes', 'integration', 'e2e'];
const filters = process.argv.slice(2);

function collect(dir) {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return collect(full);
    return entry.name.endsWith('.test.js') ? [full] : [];
  });
}

const files = suites
  .flatMap((suite) => collect(path.join(root, suite)).sort())
  .filter((file) => filters.length === 0 || filters.some((f) => file.includes(f)));
if (files.length === 0) {
  console.error('no test files found under dist/test');
  process.exit(1);
}
const run = spawnSync(process.execPath, ['--test', '--test-concurrency=1', '--test-reporter=spec', ...files], {
  stdio: 'inherit',
});
process.exit(run.status ?? 1);
