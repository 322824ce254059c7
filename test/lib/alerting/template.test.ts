import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileTemplate } from '../../../nodes/lib/alerting/template';

describe('templates', () => {
  it('inserts values by dotted name, escaped for the target format', () => {
    const view = { a: { b: '<x & "y">' }, n: 3 };
    assert.equal(compileTemplate('{{a.b}} {{n}}', 'html').render(view), '&lt;x &amp; &quot;y&quot;&gt; 3');
    assert.equal(compileTemplate('{"t":"{{a.b}}"}', 'json').render({ a: { b: 'line\n"q"' } }), '{"t":"line\\n\\"q\\""}');
    assert.equal(compileTemplate('to={{a.b}}', 'url').render({ a: { b: '+49 1&2' } }), 'to=%2B49%201%262');
    assert.equal(compileTemplate('{{{a.b}}}|{{& a.b}}', 'html').render(view), '<x & "y">|<x & "y">');
  });

  it('repeats sections for arrays, shows them for truthy values and inverts them for empty ones', () => {
    const t = compileTemplate('{{#items}}[{{name}}{{#extra}}+{{.}}{{/extra}} of {{owner}}]{{/items}}{{^items}}none{{/items}}{{! ignored }}', 'none');
    assert.equal(t.render({ owner: 'o', items: [{ name: 'a', extra: 'x' }, { name: 'b' }] }), '[a+x of o][b of o]');
    assert.equal(t.render({ items: [] }), 'none');
    assert.equal(t.render({}), 'none');
  });

  it('renders missing values as empty and objects as JSON', () => {
    assert.equal(compileTemplate('<{{missing.deep}}>{{{obj}}}', 'none').render({ obj: { k: 1 } }), '<>{"k":1}');
  });

  it('does not read inherited properties', () => {
    assert.equal(compileTemplate('{{constructor}}{{a.toString}}', 'none').render({ a: {} }), '');
  });

  it('rejects malformed templates with the position', () => {
    assert.throws(() => compileTemplate('x {{#a}} y', 'none'), /section "\{\{#a\}\}" at 2 is never closed/);
    assert.throws(() => compileTemplate('{{#a}}{{/b}}', 'none'), /"\{\{\/b\}\}" at 6 does not close "\{\{#a\}\}" at 0/);
    assert.throws(() => compileTemplate('{{/a}}', 'none'), /closes nothing/);
    assert.throws(() => compileTemplate('abc {{name', 'none'), /"\{\{" at 4 is never closed/);
    assert.throws(() => compileTemplate('{{a..b}}', 'none'), /bad name "a..b"/);
  });
});
