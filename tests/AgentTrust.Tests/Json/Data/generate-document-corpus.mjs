// Generates a large random JSON document and its RFC 8785 form computed by Node (JS sort = UTF-16 code unit
// order, JSON.stringify = ECMAScript Number::toString and the JCS string escapes), for differential tests.
// Usage: node generate-document-corpus.mjs <seed> <approx-bytes> <input-file> <expected-file>
import { writeFileSync } from 'node:fs';

const [seedArg, sizeArg, inputFile, expectedFile] = process.argv.slice(2);
let state = BigInt(seedArg ?? 1) | 1n;
function next64() {
  state ^= state >> 12n; state = BigInt.asUintN(64, state);
  state ^= state << 25n; state = BigInt.asUintN(64, state);
  state ^= state >> 27n; state = BigInt.asUintN(64, state);
  return BigInt.asUintN(64, state * 0x2545F4914F6CDD1Dn);
}
const rnd = (n) => Number(next64() % BigInt(n));
const view = new DataView(new ArrayBuffer(8));

const pieces = ['a', 'b', 'z', 'A', '0', '9', ' ', '"', '\\', '/', '\u0000', '\u0001', '\b', '\t', '\n', '\f', '\r', '\u001f',
  '\u007f', '\u0080', '\u00e9', 'e\u0301', '\u2028', '\u2029', '\u20ac', '\ud7ff', '\ue000', '\uffff', '\ufb33',
  '\ud83d\ude00', '\ud83d\ude02', '\udbff\udfff', '\ud800\udc00', '<', '>', '&'];
function text(max) { let s = ''; const n = rnd(max); for (let i = 0; i < n; i++) s += pieces[rnd(pieces.length)]; return s; }

function number() {
  switch (rnd(6)) {
    case 0: return rnd(2000001) - 1000000;
    case 1: { view.setBigUint64(0, next64()); const x = view.getFloat64(0); return Number.isFinite(x) ? x : 0.5; }
    case 2: return (rnd(2) ? 1 : -1) * (2 ** 53 + rnd(200) - 100);
    case 3: return Number(`${rnd(10000000)}e${rnd(80) - 40}`);
    case 4: return 2 ** (rnd(2098) - 1074);
    default: return rnd(1000) / 1000;
  }
}

// How the number is written in the input: JS text, or another literal for the same double.
function literal(x) {
  switch (rnd(4)) {
    case 0: return x.toExponential(16 + rnd(5)).replace('e+', rnd(2) ? 'E+' : 'e');
    case 1: return Number.isInteger(x) && Math.abs(x) < 1e21 ? BigInt(x).toString() : JSON.stringify(x);
    default: return JSON.stringify(x);
  }
}

function escapeAll(s) { let r = '"'; for (let i = 0; i < s.length; i++) r += '\\u' + s.charCodeAt(i).toString(16).padStart(4, '0').toUpperCase(); return r + '"'; }
function str(s) { return rnd(4) === 0 ? escapeAll(s) : JSON.stringify(s); }
function ws() { return [' ', '', '', '\n  ', '\t', '\r\n'][rnd(6)]; }

function value(depth, budget) {
  const r = rnd(10);
  if (depth < 40 && r < 2) {
    const n = rnd(8); const items = [];
    for (let i = 0; i < n && budget.left > 0; i++) items.push(value(depth + 1, budget));
    return { kind: 'array', items };
  }
  if (depth < 40 && r < 4) {
    const n = rnd(8); const members = new Map();
    for (let i = 0; i < n && budget.left > 0; i++) { const k = text(6); if (!members.has(k)) members.set(k, value(depth + 1, budget)); }
    return { kind: 'object', members };
  }
  budget.left -= 20;
  if (r < 7) return { kind: 'number', value: number() };
  if (r < 9) return { kind: 'string', value: text(12) };
  return { kind: 'literal', value: [null, true, false][rnd(3)] };
}

function input(v) {
  switch (v.kind) {
    case 'array': return '[' + ws() + v.items.map(input).join(ws() + ',' + ws()) + ws() + ']';
    case 'object': {
      const entries = [...v.members.entries()].sort(() => rnd(3) - 1);
      return '{' + ws() + entries.map(([k, x]) => str(k) + ws() + ':' + ws() + input(x)).join(',' + ws()) + ws() + '}';
    }
    case 'number': return literal(v.value);
    case 'string': return str(v.value);
    default: return JSON.stringify(v.value);
  }
}

function canonical(v) {
  switch (v.kind) {
    case 'array': return '[' + v.items.map(canonical).join(',') + ']';
    case 'object': return '{' + [...v.members.keys()].sort().map(k => JSON.stringify(k) + ':' + canonical(v.members.get(k))).join(',') + '}';
    case 'number': return JSON.stringify(v.value);
    case 'string': return JSON.stringify(v.value);
    default: return JSON.stringify(v.value);
  }
}

const budget = { left: Number(sizeArg ?? 100000) };
const items = [];
while (budget.left > 0) items.push(value(1, budget));
const root = { kind: 'array', items };
writeFileSync(inputFile, input(root));
writeFileSync(expectedFile, canonical(root));
