// bench/bpe_hf.js - the HuggingFace side of bench/bpe.sh and tests/cli/bpe_hf.sh,
// using the `tokenizers` npm package (install: npm install --prefix build/node
// tokenizers@0.23.2). Binary input reaches HF the way kiln-bpe export says:
// every byte mapped through GPT-2's ByteLevel byte-to-character table.
//
//   node bpe_hf.js check TOKENIZER_JSON IDS_FILE INPUT   ids equal kiln-bpe encode --ids?
//   node bpe_hf.js train CHUNKS_TXT OUT_JSON             HF BpeTrainer (default 30,000 vocab)
//   node bpe_hf.js encode TOKENIZER_JSON CHUNKS_TXT      tokens, bytes, seconds
//   node bpe_hf.js chunks SIZE DIR CHUNKS_TXT            write the mapped chunks
// CHUNKS_TXT holds one mapped chunk per line (the ByteLevel table never
// produces '\n', so lines are exactly the chunks).
'use strict';
const fs = require('fs');
const path = require('path');
const modDir = process.env.KILN_NODE_MODULES || path.join(__dirname, '..', 'build', 'node', 'node_modules');
let tk;
try {
  tk = require(path.join(modDir, 'tokenizers'));
} catch (e) {
  console.log('SKIP: tokenizers npm package not found in ' + modDir);
  process.exit(77);
}

// GPT-2 bytes_to_unicode.
function byteTable() {
  const bs = [];
  for (let b = 33; b <= 126; b++) bs.push(b);
  for (let b = 161; b <= 172; b++) bs.push(b);
  for (let b = 174; b <= 255; b++) bs.push(b);
  const cs = bs.slice();
  let n = 0;
  for (let b = 0; b < 256; b++) if (!bs.includes(b)) { bs.push(b); cs.push(256 + n); n++; }
  const t = new Array(256);
  for (let i = 0; i < 256; i++) t[bs[i]] = String.fromCharCode(cs[i]);
  return t;
}
const table = byteTable();
function mapBytes(buf) {
  const parts = new Array(buf.length);
  for (let i = 0; i < buf.length; i++) parts[i] = table[buf[i]];
  return parts.join('');
}

async function main() {
  const [cmd, a, b, c] = process.argv.slice(2);
  if (cmd === 'check') {
    const tok = tk.Tokenizer.fromFile(a);
    const want = fs.readFileSync(b, 'utf8').split('\n').filter((s) => s.length).map(Number);
    const enc = await tok.encode(mapBytes(fs.readFileSync(c)), null, { addSpecialTokens: false });
    const got = enc.getIds();
    let i = 0;
    while (i < want.length && i < got.length && want[i] === got[i]) i++;
    if (i === want.length && i === got.length) { console.log(`same ${got.length} ids`); return 0; }
    console.log(`differ at token ${i}: kiln ${want[i]}, hf ${got[i]} (kiln ${want.length} ids, hf ${got.length})`);
    return 1;
  }
  if (cmd === 'train') {
    const tok = new tk.Tokenizer(tk.BPE.empty());
    const t0 = process.hrtime.bigint();
    tok.train([a]);
    const secs = Number(process.hrtime.bigint() - t0) / 1e9;
    tok.save(b);
    console.log(JSON.stringify({ vocab: tok.getVocabSize(), seconds: secs }));
    return 0;
  }
  if (cmd === 'encode') {
    const tok = tk.Tokenizer.fromFile(a);
    const lines = fs.readFileSync(b, 'utf8').split('\n').filter((s) => s.length);
    let tokens = 0, chars = 0;
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < lines.length; i += 256) {
      const batch = lines.slice(i, i + 256);
      const encs = await tok.encodeBatch(batch, { addSpecialTokens: false });
      for (const e of encs) tokens += e.getLength();
      for (const l of batch) chars += l.length;
    }
    const secs = Number(process.hrtime.bigint() - t0) / 1e9;
    console.log(JSON.stringify({ bytes: chars, tokens, seconds: secs, bytes_per_token: chars / tokens }));
    return 0;
  }
  if (cmd === 'chunks') {   // chunks SIZE DIR OUT: every file of DIR (sorted) cut into SIZE-byte lines
    const size = Number(a), names = fs.readdirSync(b).sort();
    const fd = fs.openSync(c, 'w');
    for (const n of names) {
      const buf = fs.readFileSync(path.join(b, n));
      for (let o = 0; o < buf.length; o += size) fs.writeSync(fd, mapBytes(buf.subarray(o, o + size)) + '\n');
    }
    fs.closeSync(fd);
    return 0;
  }
  console.error('usage: bpe_hf.js check|train|encode ...');
  return 2;
}
main().then((rc) => process.exit(rc), (e) => { console.error(String(e && e.stack || e)); process.exit(1); });
