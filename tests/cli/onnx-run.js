// tests/cli/onnx-run.js - runs an exported model (tl-classify
// --export-onnx) with onnxruntime-node for tests/cli/onnx.sh: the input
// "image" [n,H,W,3] float32 from a file of n images (tests/cli/tlcrop.c),
// "prob" out, one line of K numbers per image (%.9g).
// Usage: node onnx-run.js NODE_MODULES MODEL.onnx CROPS.f32 H W
'use strict';
const fs = require('fs');
const path = require('path');
const [nm, model, crops, h, w] = process.argv.slice(2);
const ort = require(path.join(nm, 'onnxruntime-node'));

(async () => {
	const H = +h, W = +w, per = H * W * 3;
	const buf = fs.readFileSync(crops);
	const all = new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4);
	const n = all.length / per;
	const s = await ort.InferenceSession.create(model, { intraOpNumThreads: 1 });
	const out = await s.run({ image: new ort.Tensor('float32', all, [n, H, W, 3]) });
	const p = out.prob, k = p.dims[1];
	for (let i = 0; i < n; i++)
		console.log(Array.from(p.data.slice(i * k, (i + 1) * k), (v) => v.toPrecision(9)).join('\t'));
})().catch((e) => { process.stderr.write(`onnx-run.js: ${e.message}\n`); process.exit(1); });
