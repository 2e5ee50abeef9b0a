// pipe_ort.js - onnxruntime-node peer for bench/pipeline/run: JPEG files to
// pooled features, as a node user would write it.
//
// usage: node pipe_ort.js DATA THREADS REPS MODEL.onnx:DIV [MODEL.onnx:DIV ...]
//
// Every image under DATA (recursively; the extensions torchvision's
// ImageFolder takes, so the same files as the PyTorch peer), sorted.  sharp
// (libvips, its prebuilt binary from npm) decodes each file and resizes its
// shorter side to 256 (fit "outside", shrink-on-load when the JPEG allows,
// sRGB, no alpha) into raw RGB; the centre 224x224 is cropped while the bytes
// become NCHW float32 (divided by DIV: 255 for mobilenetv2's x/255, 1 for
// centernet's pixels as they are).  Batches of 32; while the network runs a
// batch, the next batch's 32 decodes are already queued on libuv's thread
// pool (UV_THREADPOOL_SIZE threads, from the environment; sharp.concurrency
// 1 thread per image): onnxruntime-node's run() is synchronous on the main
// thread, so decoding overlaps it only from the pool, which is why the
// decodes of batch k+1 are started before batch k runs.  Each MODEL is one
// InferenceSession (CPU EP, graphOptimizationLevel "all", intra-op THREADS,
// inter-op 1, sequential), run in turn on every batch: two give the
// ensemble, the features concatenated as tl-embed -m a+b does.
//
// One warm-up epoch, then REPS timed ones (sessions made before, outside
// the timing); prints "IPS <images/s>" per timed epoch and an INFO line.
'use strict';
const fs = require('fs');
const path = require('path');
const nm = path.join(__dirname, 'node_modules');
const ort = require(path.join(nm, 'onnxruntime-node'));
const sharp = require(path.join(nm, 'sharp'));

const EXT = /\.(jpe?g|png|ppm|bmp|pgm|tiff?|webp)$/i;
const S = 224, R = 256, BATCH = 32;

function walk(dir, out) {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) walk(p, out);
    else if (EXT.test(e.name)) out.push(p);
  }
  return out;
}

// one file -> its 224x224 centre crop, HWC uint8
async function load(file) {
  const { data, info } = await sharp(file)
    .resize({ width: R, height: R, fit: 'outside' })
    .toColourspace('srgb').removeAlpha()
    .raw().toBuffer({ resolveWithObject: true });
  if (info.channels !== 3 || info.width < S || info.height < S) throw new Error(`${file}: ${info.width}x${info.height}x${info.channels}`);
  const x0 = (info.width - S) >> 1, y0 = (info.height - S) >> 1;
  return { data, w: info.width, x0, y0 };
}

// the images of a batch -> one NCHW float32 tensor per divisor
function tensors(imgs, divs) {
  const n = imgs.length, plane = S * S;
  return divs.map((div) => {
    const f = new Float32Array(n * 3 * plane), k = 1 / div;
    imgs.forEach((im, b) => {
      const base = b * 3 * plane;
      for (let y = 0; y < S; y++) {
        let s = ((im.y0 + y) * im.w + im.x0) * 3;
        const row = base + y * S;
        for (let x = 0; x < S; x++, s += 3) {
          f[row + x] = im.data[s] * k;
          f[row + plane + x] = im.data[s + 1] * k;
          f[row + 2 * plane + x] = im.data[s + 2] * k;
        }
      }
    });
    return new ort.Tensor('float32', f, [n, 3, S, S]);
  });
}

async function main() {
  const [data, t, r, ...models] = process.argv.slice(2);
  const threads = +t, reps = +r;
  if (!data || !(threads > 0 && reps > 0) || !models.length) {
    process.stderr.write('usage: node pipe_ort.js DATA THREADS REPS MODEL.onnx:DIV ...\n');
    process.exit(2);
  }
  sharp.concurrency(1);
  sharp.cache(false);
  const files = walk(data, []).sort();
  const nets = [];
  for (const m of models) {
    const i = m.lastIndexOf(':');
    const sess = await ort.InferenceSession.create(m.slice(0, i), {
      executionProviders: ['cpu'], intraOpNumThreads: threads, interOpNumThreads: 1,
      executionMode: 'sequential', graphOptimizationLevel: 'all',
    });
    nets.push({ sess, div: +m.slice(i + 1) });
  }
  const divs = nets.map((n) => n.div);
  const batch = (k) => Promise.all(files.slice(k, k + BATCH).map(load));
  let dims = 0;
  for (let rep = -1; rep < reps; rep++) {
    const t0 = process.hrtime.bigint();
    let got = 0;
    let next = batch(0);
    for (let k = 0; k < files.length; k += BATCH) {
      const imgs = await next;
      if (k + BATCH < files.length) next = batch(k + BATCH);
      const xs = tensors(imgs, divs);
      dims = 0;
      for (let j = 0; j < nets.length; j++) {
        const s = nets[j].sess;
        const out = await s.run({ [s.inputNames[0]]: xs[j] });
        dims += out[s.outputNames[0]].dims[1];
      }
      got += imgs.length;
    }
    const s = Number(process.hrtime.bigint() - t0) * 1e-9;
    if (got !== files.length) throw new Error(`${got} of ${files.length} images`);
    if (rep >= 0) process.stdout.write(`IPS ${(got / s).toFixed(3)}\n`);
  }
  process.stdout.write(`INFO onnxruntime-node ${require(path.join(nm, 'onnxruntime-node', 'package.json')).version} ` +
    `sharp ${sharp.versions.sharp} (libvips ${sharp.versions.vips}): ${files.length} images, batch ${BATCH}, ` +
    `${nets.length} session(s), ${dims} features, intra-op ${threads}, inter-op 1, sequential, opt all; ` +
    `UV_THREADPOOL_SIZE=${process.env.UV_THREADPOOL_SIZE || '(unset: 4)'}, sharp.concurrency ${sharp.concurrency()}\n`);
}

main().catch((e) => { process.stderr.write(`pipe_ort.js: ${e.message}\n`); process.exit(1); });
