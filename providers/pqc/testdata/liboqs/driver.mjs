// driver.mjs runs liboqs (npm @oqs/liboqs-js, its official WebAssembly
// build) for the pqc backend's interoperability tests. It reads one JSON
// request per line on stdin and writes one JSON answer per line on stdout.
// Byte strings are hex.
//
//   {"op":"info"}                                  -> {"version":"0.15.1"}
//   {"op":"keygen","alg":A,"rand":HEX}             -> {"pk","sk","drawn"}
//   {"op":"sign","alg":A,"sk","msg","rand"?:HEX}   -> {"sig","drawn"}
//   {"op":"verify","alg":A,"pk","msg","sig"}       -> {"ok":bool}
//   {"op":"bench","alg":A,"what":"keygen|sign|verify","iters":N,"msg","pk","sk","sig"}
//                                                  -> {"nsPerOp":F}
//
// liboqs-js takes no seed and no context string: its randomness comes from
// node:crypto's randomFillSync, looked up at each call, which "rand" replaces
// for the duration of one call. "drawn" is how many bytes liboqs drew from it.
// Any error is answered as {"error":MESSAGE}.
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import readline from 'node:readline';
import {
  createMLDSA44, createMLDSA65, createMLDSA87,
  createSlhDsaSha2128s, createSlhDsaSha2128f,
} from '@oqs/liboqs-js';

const require = createRequire(import.meta.url);
const nodeCrypto = require('node:crypto');
const pkg = JSON.parse(readFileSync(new URL('./node_modules/@oqs/liboqs-js/package.json', import.meta.url), 'utf8'));

const factories = {
  'ML-DSA-44': createMLDSA44,
  'ML-DSA-65': createMLDSA65,
  'ML-DSA-87': createMLDSA87,
  'SLH-DSA-SHA2-128s': createSlhDsaSha2128s,
  'SLH-DSA-SHA2-128f': createSlhDsaSha2128f,
};
const instances = new Map();

async function scheme(alg) {
  if (!instances.has(alg)) {
    const f = factories[alg];
    if (!f) throw new Error(`unknown algorithm ${alg}`);
    instances.set(alg, await f());
  }
  return instances.get(alg);
}

const hex = (b) => Buffer.from(b).toString('hex');
const bytes = (h) => new Uint8Array(Buffer.from(h ?? '', 'hex'));

// withRandom runs fn with randomFillSync answering from the given bytes, and
// returns fn's result and how many bytes were drawn. Drawing more than given
// is an error: the caller's count of what liboqs draws would be wrong.
function withRandom(given, fn) {
  if (given === undefined) return { out: fn(), drawn: null };
  const saved = nodeCrypto.randomFillSync;
  let off = 0;
  nodeCrypto.randomFillSync = (buf) => {
    const view = new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
    if (off + view.length > given.length) {
      throw new Error(`liboqs drew ${off + view.length} random bytes, only ${given.length} were given`);
    }
    view.set(given.subarray(off, off + view.length));
    off += view.length;
    return buf;
  };
  try {
    return { out: fn(), drawn: off };
  } finally {
    nodeCrypto.randomFillSync = saved;
  }
}

async function handle(req) {
  switch (req.op) {
    case 'info':
      return { version: pkg.version, node: process.version };
    case 'keygen': {
      const s = await scheme(req.alg);
      const rand = req.rand === undefined ? undefined : bytes(req.rand);
      const { out, drawn } = withRandom(rand, () => s.generateKeyPair());
      return { pk: hex(out.publicKey), sk: hex(out.secretKey), drawn };
    }
    case 'sign': {
      const s = await scheme(req.alg);
      const rand = req.rand === undefined ? undefined : bytes(req.rand);
      const { out, drawn } = withRandom(rand, () => s.sign(bytes(req.msg), bytes(req.sk)));
      return { sig: hex(out), drawn };
    }
    case 'verify': {
      const s = await scheme(req.alg);
      return { ok: s.verify(bytes(req.msg), bytes(req.sig), bytes(req.pk)) === true };
    }
    case 'bench': {
      const s = await scheme(req.alg);
      const msg = bytes(req.msg), pk = bytes(req.pk), sk = bytes(req.sk), sig = bytes(req.sig);
      const ops = {
        keygen: () => s.generateKeyPair(),
        sign: () => s.sign(msg, sk),
        verify: () => { if (!s.verify(msg, sig, pk)) throw new Error('bench: signature does not verify'); },
      };
      const op = ops[req.what];
      if (!op) throw new Error(`unknown bench operation ${req.what}`);
      op(); // warm up
      const start = process.hrtime.bigint();
      for (let i = 0; i < req.iters; i++) op();
      const ns = Number(process.hrtime.bigint() - start);
      return { nsPerOp: ns / req.iters };
    }
    default:
      throw new Error(`unknown op ${req.op}`);
  }
}

const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
for await (const line of rl) {
  if (line.trim() === '') continue;
  let answer;
  try {
    answer = await handle(JSON.parse(line));
  } catch (e) {
    answer = { error: String(e && e.message ? e.message : e) };
  }
  process.stdout.write(JSON.stringify(answer) + '\n');
}
for (const s of instances.values()) s.destroy();
