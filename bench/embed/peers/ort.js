// ort.js - onnxruntime-node peer for bench/embed/run.
// usage: node ort.js MODEL.onnx INPUT.f32 BATCH THREADS REPS IMAGES
// Runs MODEL on BATCH images of the shared input (NCHW float32, 3x224x224
// each), intra_op_num_threads THREADS, inter_op 1, sequential, graph
// optimization "all".  One warm-up repetition, then REPS timed ones; a
// repetition processes IMAGES images (IMAGES/BATCH runs, at least one).  Prints
// "IPS <images/s>" per timed repetition on stdout.
'use strict';
const fs = require('fs');
const path = require('path');
const ort = require(path.join(__dirname, 'node_modules', 'onnxruntime-node'));

async function main() {
  const [model, input, b, t, r, im] = process.argv.slice(2);
  const batch = +b, threads = +t, reps = +r, images = +im;
  if (!model || !(batch > 0 && threads > 0 && reps > 0 && images > 0)) {
    process.stderr.write('usage: node ort.js MODEL INPUT BATCH THREADS REPS IMAGES\n');
    process.exit(2);
  }
  const per = 3 * 224 * 224;
  const buf = fs.readFileSync(input);
  const all = new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4);
  if (all.length < batch * per) throw new Error(`${input}: fewer than ${batch} images`);
  const data = all.slice(0, batch * per);
  const sess = await ort.InferenceSession.create(model, {
    executionProviders: ['cpu'],
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  });
  const feeds = { [sess.inputNames[0]]: new ort.Tensor('float32', data, [batch, 3, 224, 224]) };
  const runs = Math.max(1, Math.round(images / batch));
  for (let rep = -1; rep < reps; rep++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < runs; i++) await sess.run(feeds);
    const s = Number(process.hrtime.bigint() - t0) * 1e-9;
    if (rep >= 0) process.stdout.write(`IPS ${(runs * batch / s).toFixed(3)}\n`);
  }
}

main().catch((e) => { process.stderr.write(`ort.js: ${e.message}\n`); process.exit(1); });
