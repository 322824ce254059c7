#!/usr/bin/env node
'use strict';
// Compiles the TypeScript sources and places every node's editor form, icons and locales
// beside its compiled .js in dist/nodes/, where Node-RED looks for them.
// --if-needed skips the compile when dist/ is newer than every source file.
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const root = path.resolve(__dirname, '..');
const dist = path.join(root, 'dist');
const sourceDirs = ['nodes', 'test', 'icons', 'locales'];
const sourceFiles = ['settings.ts', 'tsconfig.json', 'package.json'];

function newestMtime(entry) {
  if (!fs.existsSync(entry)) return 0;
  const stat = fs.statSync(entry);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const child of fs.readdirSync(entry)) newest = Math.max(newest, newestMtime(path.join(entry, child)));
  return newest;
}

function isUpToDate() {
  const stamp = path.join(dist, '.build-stamp');
  if (!fs.existsSync(stamp)) return false;
  const built = fs.statSync(stamp).mtimeMs;
  const sources = [...sourceDirs, ...sourceFiles].map((p) => newestMtime(path.join(root, p)));
  return Math.max(...sources) <= built;
}

function copyTree(from, to, filter) {
  if (!fs.existsSync(from)) return;
  for (const entry of fs.readdirSync(from, { withFileTypes: true })) {
    const source = path.join(from, entry.name);
    const target = path.join(to, entry.name);
    if (entry.isDirectory()) copyTree(source, target, filter);
    else if (filter(entry.name)) {
      fs.mkdirSync(to, { recursive: true });
      fs.copyFileSync(source, target);
    }
  }
}

if (process.argv.includes('--if-needed') && isUpToDate()) process.exit(0);

const tsc = require.resolve('typescript/bin/tsc');
const compiled = spawnSync(process.execPath, [tsc, '-p', path.join(root, 'tsconfig.json')], { stdio: 'inherit' });
if (compiled.status !== 0) process.exit(compiled.status ?? 1);

const distNodes = path.join(dist, 'nodes');
copyTree(path.join(root, 'nodes'), distNodes, (name) => name.endsWith('.html'));
copyTree(path.join(root, 'icons'), path.join(distNodes, 'icons'), () => true);
copyTree(path.join(root, 'locales'), path.join(distNodes, 'locales'), () => true);
copyTree(path.join(root, 'test', 'support', 'nodes'), path.join(dist, 'test', 'support', 'nodes'), (name) => name.endsWith('.html'));
fs.writeFileSync(path.join(dist, '.build-stamp'), new Date().toISOString());
