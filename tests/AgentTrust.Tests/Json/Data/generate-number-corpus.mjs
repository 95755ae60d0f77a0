// Generates number-corpus.txt: one line per double, "<16 hex digits of the IEEE-754 bits> <JSON.stringify(x)>".
// JSON.stringify of a finite number is ECMAScript Number::toString, the RFC 8785 number form.
// Deterministic (seeded xorshift), so re-running reproduces the committed file byte for byte:
//   node generate-number-corpus.mjs > number-corpus.txt
const buffer = new DataView(new ArrayBuffer(8));
const lines = [];
const seen = new Set();

function bitsOf(x) {
  buffer.setFloat64(0, x);
  return buffer.getBigUint64(0).toString(16).padStart(16, '0');
}

function add(x) {
  if (!Number.isFinite(x)) return;
  const hex = bitsOf(x);
  if (seen.has(hex)) return;
  seen.add(hex);
  lines.push(`${hex} ${JSON.stringify(x)}`);
}

function fromBits(big) {
  buffer.setBigUint64(0, BigInt.asUintN(64, big));
  return buffer.getFloat64(0);
}

// xorshift64* with a fixed seed.
let state = 0x9E3779B97F4A7C15n;
function next64() {
  state ^= state >> 12n; state = BigInt.asUintN(64, state);
  state ^= state << 25n; state = BigInt.asUintN(64, state);
  state ^= state >> 27n; state = BigInt.asUintN(64, state);
  return BigInt.asUintN(64, state * 0x2545F4914F6CDD1Dn);
}

// Edge cases.
for (const x of [0, -0, 5e-324, -5e-324, 1e-323, 2.2250738585072009e-308, 2.2250738585072014e-308,
  Number.MAX_VALUE, -Number.MAX_VALUE, Number.MIN_VALUE, Number.EPSILON, 1, -1, 0.1, 0.2, 0.3, 1 / 3, 2 / 3,
  Math.PI, Math.E, 123456789, 333333333.3333333, 1424953923781206.2, 9.999999999999997e22, 1e23, 1.0000000000000001e23]) add(x);
// Subnormals: small and large mantissas, and a random sample.
for (let m = 1n; m < 2000n; m++) add(fromBits(m));
for (let m = 0xFFFFFFFFFFFFFn; m > 0xFFFFFFFFFFFFFn - 500n; m--) add(fromBits(m));
for (let i = 0; i < 1000; i++) add(fromBits(next64() & 0x000FFFFFFFFFFFFFn));
// Powers of ten and their neighbours (1e-7 / 1e-6 and 1e21 layout switches, and everywhere else).
for (let e = -324; e <= 308; e++) {
  const x = Number(`1e${e}`);
  add(x); add(-x);
  buffer.setFloat64(0, x);
  const bits = buffer.getBigUint64(0);
  for (const d of [-2n, -1n, 1n, 2n]) { add(fromBits(bits + d)); }
}
for (const base of [1e21, 1e-7, 1e-6, 1e20, 1e-5]) {
  buffer.setFloat64(0, base);
  const bits = buffer.getBigUint64(0);
  for (let d = -50n; d <= 50n; d++) add(fromBits(bits + d));
}
for (const x of [999999999999999900000, 999999999999999700000, 0.000001, 0.0000009999999999999999, 0.00000099999999999999995]) add(x);
// Integers around 2^53, 2^63, 2^64 and powers of two.
for (let d = -100; d <= 100; d++) { add(2 ** 53 + d); add(-(2 ** 53) + d); }
for (let e = -1074; e <= 1023; e++) { add(2 ** e); add(-(2 ** e)); add(2 ** e * 1.5); }
for (const p of [63, 64]) {
  buffer.setFloat64(0, 2 ** p);
  const bits = buffer.getBigUint64(0);
  for (let d = -20n; d <= 20n; d++) add(fromBits(bits + d));
}
// Short decimals (the digits people write).
for (let i = 0; i < 2000; i++) {
  const digits = Number(next64() % 10000000n);
  const exp = Number(next64() % 60n) - 30;
  add(Number(`${digits}e${exp}`));
}
// Random bit patterns over the whole range (NaN/Infinity skipped by add).
while (lines.length < 24000) add(fromBits(next64()));

process.stdout.write(lines.join('\n') + '\n');
