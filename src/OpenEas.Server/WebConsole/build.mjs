// Bundles the console into static files the server embeds: one JS module, one stylesheet and index.html,
// named by content hash (served as immutable), each with .br and .gz beside it (compressed once, here).
// Usage: node build.mjs <outdir>
import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

const out = process.argv[2];
if (!out) {
  console.error('usage: node build.mjs <outdir>');
  process.exit(2);
}

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

const result = await build({
  entryPoints: { app: 'src/main.js' },
  bundle: true,
  format: 'esm',
  target: 'es2022',
  minify: true,
  sourcemap: false,
  legalComments: 'none',
  outdir: out,
  entryNames: '[name]-[hash]',
  metafile: true,
  logLevel: 'warning',
});

const names = Object.keys(result.metafile.outputs).map((p) => p.split('/').pop());
const js = names.find((n) => n.endsWith('.js'));
const css = names.find((n) => n.endsWith('.css'));
const html = readFileSync('index.html', 'utf8').replace('{{css}}', `/assets/${css}`).replace('{{js}}', `/assets/${js}`);
writeFileSync(join(out, 'index.html'), html);

let total = 0;
for (const name of readdirSync(out)) {
  const data = readFileSync(join(out, name));
  writeFileSync(join(out, name + '.br'), brotliCompressSync(data, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }));
  const gz = gzipSync(data, { level: 9 });
  writeFileSync(join(out, name + '.gz'), gz);
  total += gz.length;
  console.log(`console: ${name} ${data.length} bytes, ${gz.length} gzipped, sha ${createHash('sha256').update(data).digest('hex').slice(0, 12)}`);
}
console.log(`console: ${total} bytes gzipped in all`);
