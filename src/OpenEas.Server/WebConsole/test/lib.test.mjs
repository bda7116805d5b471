// Table-driven tests of the console's pure functions (node --test; run by ConsoleTests in ./test.sh).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { diffLines } from '../src/lib/diff.js';
import { findingsFor, lineOf } from '../src/lib/jsonpath.js';
import { fromInput, getPath, mergePatch, setPath, tokens } from '../src/lib/spec.js';

const spec = `{
  "name": "echo",
  "containers": [
    {
      "script": "python3 app.py",
      "port": 70000
    }
  ],
  "metadata": {
    "instance": 1,
    "rpc": { "keepalive": -1 }
  }
}`;

test('a finding is placed on the line of its JSON path, else of its nearest parent', () => {
  const cases = [
    ['name', '', 2],
    ['containers', '', 3],
    ['containers[0]', '', 4],
    ['containers[0].port', '', 6],
    ['containers[0].env', '', 4], // not in the text: its parent element
    ['metadata.instance', '', 10],
    ['metadata.rpc.keepalive', '', 11],
    ['metadata.favourite_colour', '', 9],
    ['storage[0].local.path', '', null],
    ['', 'malformed JSON: \'x\' is invalid. LineNumber: 4 | BytePositionInLine: 2.', 5],
    ['', 'must be a JSON object', null],
  ];
  for (const [path, message, line] of cases) assert.equal(lineOf(spec, path, message), line, `${path} ${message}`);
});

test('text after a syntax error is not mapped, text before it is', () => {
  const broken = '{\n  "name": "a",\n  "metadata": { "cpu": ,\n  "port": 1\n}';
  assert.equal(lineOf(broken, 'name'), 2);
  assert.equal(lineOf(broken, 'metadata'), 3);
  assert.equal(lineOf(broken, 'port'), null);
});

test('findings belong to a field and to what is under it, not to a sibling with the same prefix', () => {
  const errors = [{ path: 'metadata.cpu', message: 'a' }, { path: 'metadata.cpu_x', message: 'b' }, { path: 'metadata.cpu.y', message: 'c' }];
  assert.deepEqual(findingsFor(errors, 'metadata.cpu').map((e) => e.message), ['a', 'c']);
  assert.deepEqual(findingsFor([{ path: 'containers[0].port', message: 'd' }], 'containers').map((e) => e.message), ['d']);
});

test('paths split into keys and indexes; values are read and written through them', () => {
  assert.deepEqual(tokens('containers[0].port'), ['containers', 0, 'port']);
  assert.deepEqual(tokens('a[1][2].b'), ['a', 1, 2, 'b']);
  const obj = {};
  setPath(obj, 'containers[0].port', 8000);
  setPath(obj, 'metadata.cpu', 1);
  assert.deepEqual(obj, { containers: [{ port: 8000 }], metadata: { cpu: 1 } });
  assert.equal(getPath(obj, 'containers[0].port'), 8000);
  setPath(obj, 'metadata.cpu', undefined);
  assert.deepEqual(obj.metadata, {});
  assert.equal(getPath(obj, 'missing.deep'), undefined);
});

test('form input becomes numbers where numeric, text as typed otherwise, nothing when empty', () => {
  const cases = [['8000', true, 8000], ['0.25', true, 0.25], ['abc', true, 'abc'], ['  ', true, undefined], ['x y', false, 'x y'], ['', false, undefined]];
  for (const [text, numeric, value] of cases) assert.equal(fromInput(text, numeric), value, text);
});

test('the merge patch carries changes, nested patches and null for removed keys', () => {
  const cases = [
    [{ a: 1, b: 2 }, { a: 1, b: 3 }, { b: 3 }],
    [{ a: 1, b: 2 }, { a: 1 }, { b: null }],
    [{ m: { x: 1, y: 2 } }, { m: { x: 1, y: 5, z: 0 } }, { m: { y: 5, z: 0 } }],
    [{ c: [{ p: 1 }] }, { c: [{ p: 2 }] }, { c: [{ p: 2 }] }],
    [{ a: { b: 1 } }, { a: 'flat' }, { a: 'flat' }],
    [{ same: { x: [1, 2] } }, { same: { x: [1, 2] } }, {}],
  ];
  for (const [from, to, patch] of cases) assert.deepEqual(mergePatch(from, to), patch, JSON.stringify(to));
});

test('the line diff keeps common lines and marks removals before additions', () => {
  const ops = (a, b) => diffLines(a, b).map((l) => l.op + l.text).join('|');
  assert.equal(ops('a\nb\nc', 'a\nb\nc'), ' a| b| c');
  assert.equal(ops('a\nb\nc', 'a\nx\nc'), ' a|-b|+x| c');
  assert.equal(ops('a\nc', 'a\nb\nc'), ' a|+b| c');
  assert.equal(ops('a\nb', 'b'), '-a| b');
  assert.equal(ops('', 'x'), '-|+x');
});
