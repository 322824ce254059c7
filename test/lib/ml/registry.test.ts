import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { ModelRegistry, type ModelMeta } from '../../../nodes/lib/ml/registry';

const roots: string[] = [];
function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pdm-registry-'));
  roots.push(dir);
  return dir;
}
after(() => {
  for (const dir of roots) fs.rmSync(dir, { recursive: true, force: true });
});

function meta(name: string, rows = 100): Omit<ModelMeta, 'version' | 'createdAt'> {
  return {
    name,
    kind: 'pca',
    features: ['a', 'b'],
    inputName: 'input',
    outputNames: ['score', 't2', 'q'],
    threshold: 1,
    scaler: { mean: [0, 1], scale: [1, 2] },
    rows,
    metrics: { f1: 0.9 },
  };
}
const BYTES = new Uint8Array([8, 9, 1, 2]);

function nextChange(registry: ModelRegistry): Promise<string> {
  return new Promise((resolve) => {
    const off = registry.onChange((name) => {
      off();
      resolve(name);
    });
  });
}

describe('model registry', () => {
  it('registers numbered versions with their files in the documented layout', async () => {
    const dir = tempDir();
    const registry = new ModelRegistry(dir, { now: () => 1234 });
    const v1 = await registry.register(meta('pump'), BYTES);
    const v2 = await registry.register(meta('pump', 200), BYTES);
    assert.deepEqual([v1.version, v2.version, v2.createdAt], [1, 2, 1234]);
    assert.equal(registry.modelFile(v2), path.join(dir, 'pump', 'v2', 'model.onnx'));
    assert.deepEqual(new Uint8Array(fs.readFileSync(registry.modelFile(v2))), BYTES);
    assert.equal(JSON.parse(fs.readFileSync(path.join(dir, 'pump', 'v2', 'meta.json'), 'utf8')).rows, 200);
    assert.deepEqual((await registry.list('pump')).map((m) => m.version), [1, 2]);
    assert.equal((await registry.get('pump', 2))?.rows, 200);
    assert.equal(await registry.get('pump', 3), undefined);
    assert.equal(await registry.live('pump'), undefined, 'registering does not make a version live');
    assert.deepEqual(await registry.list('other'), []);
    assert.deepEqual(fs.readdirSync(path.join(dir, 'pump', 'v1')).sort(), ['meta.json', 'model.onnx'], 'no temporary files left');
  });

  it('gives concurrent registrations distinct versions', async () => {
    const registry = new ModelRegistry(tempDir());
    const versions = await Promise.all([1, 2, 3, 4, 5].map((i) => registry.register(meta('fan', i), BYTES)));
    assert.deepEqual(versions.map((m) => m.version).sort(), [1, 2, 3, 4, 5]);
  });

  it('promotes, keeps a candidate and rolls back through the previously live versions', async () => {
    const registry = new ModelRegistry(tempDir());
    for (let i = 0; i < 3; i++) await registry.register(meta('pump'), BYTES);
    await registry.setCandidate('pump', 2);
    assert.equal((await registry.candidate('pump'))?.version, 2);
    await registry.promote('pump', 1);
    await registry.promote('pump', 2);
    assert.equal((await registry.live('pump'))?.version, 2);
    assert.equal(await registry.candidate('pump'), undefined, 'promoting the candidate clears it');
    await registry.promote('pump', 3);
    assert.equal((await registry.rollback('pump')).version, 2);
    assert.equal((await registry.live('pump'))?.version, 2);
    assert.equal((await registry.rollback('pump')).version, 1);
    await assert.rejects(registry.rollback('pump'), /no previous live version/);
    await assert.rejects(registry.promote('pump', 9), /no version 9/);
    await assert.rejects(registry.setCandidate('pump', 9), /no version 9/);
    await registry.setCandidate('pump', 3);
    await registry.setCandidate('pump', null);
    assert.equal(await registry.candidate('pump'), undefined);
  });

  it('rejects names that could leave the directory and malformed models', async () => {
    const registry = new ModelRegistry(tempDir());
    for (const name of ['../evil', '..', 'a/b', 'a\\b', '', '.hidden', 'x..y', '/abs']) {
      await assert.rejects(registry.register(meta(name), BYTES), /model name/, name);
      await assert.rejects(registry.list(name), /model name/, name);
    }
    assert.throws(() => registry.modelFile({ ...meta('../x'), version: 1, createdAt: 0 }), /model name/);
    await assert.rejects(registry.register(meta('ok'), new Uint8Array()), /empty/);
    await assert.rejects(registry.register({ ...meta('ok'), threshold: Number.NaN }, BYTES), /threshold/);
    await assert.rejects(registry.register({ ...meta('ok'), scaler: { mean: [0], scale: [1] } }, BYTES), /scaler/);
    await assert.rejects(registry.register({ ...meta('ok'), outputNames: ['t2'] }, BYTES), /score/);
    await assert.rejects(registry.get('ok', 0), /version/);
  });

  it('tells listeners of every registry instance on the same directory about changes', async () => {
    const dir = tempDir();
    const writer = new ModelRegistry(dir);
    const reader = new ModelRegistry(dir);
    const seen: string[] = [];
    const off = reader.onChange((name) => seen.push(name));
    const v = await writer.register(meta('pump'), BYTES);
    await writer.promote('pump', v.version);
    off();
    await writer.setCandidate('pump', v.version);
    assert.deepEqual(seen, ['pump', 'pump']);
  });

  it("notices another process's promotion", async () => {
    const dir = tempDir();
    const registry = new ModelRegistry(dir, { pollMs: 100 });
    const v = await registry.register(meta('pump'), BYTES);
    const changed = nextChange(registry);
    const script = `const { ModelRegistry } = require(${JSON.stringify(require.resolve('../../../nodes/lib/ml/registry'))});
      new ModelRegistry(${JSON.stringify(dir)}).promote('pump', ${v.version}).then(() => process.exit(0), () => process.exit(1));`;
    const child = spawn(process.execPath, ['-e', script], { stdio: 'ignore' });
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    assert.equal(code, 0);
    assert.equal(await changed, 'pump');
    assert.equal((await registry.live('pump'))?.version, v.version);
  });
});
