// tfjs_check.js - checks bench/embed/tfjs2onnx.py: the converted ONNX model
// on onnxruntime-node against @tensorflow/tfjs (pure-JS cpu backend) running
// the TF.js model itself to the same node, on the same images.
//
// usage: node tfjs_check.js MODEL.json FEATURE INPUT_NODE|- MODEL.onnx INPUT.f32 K
// MODEL.json is the TF.js model (graph-model: tf.loadGraphModel, executed
// to FEATURE with INPUT_NODE fed; layers-model: tf.loadLayersModel, a
// sub-model to the layer FEATURE; "-" = the model's own input), loaded from
// local files through a small IOHandler.  The images are the first K of
// INPUT.f32 (NCHW float32 3x224x224, N(0,1)) made image-like as the bench's
// pixel stream is, clip(x * 40 + 128, 0, 255) / 255, so in [0,1].  tfjs
// gets them NHWC one at a time; ort gets all K as one NCHW batch.  Features
// are the node's output averaged over H and W.
// Prints "AGREE <K> <max rel> <mean rel>" on stdout, rel per image =
// max |ort - tfjs| / max |tfjs| over the feature vector.
'use strict';
const fs = require('fs');
const path = require('path');
const nm = path.join(__dirname, 'node_modules');

// feed: a Placeholder whose fixed H,W (centernet's 512x512) would make
// tfjs refuse 224x224 is given a free shape; nothing else changes.
function handler(jsonPath, feed) {
	return {
		load: async () => {
			const doc = JSON.parse(fs.readFileSync(jsonPath, 'utf8'));
			for (const n of doc.modelTopology.node || [])
				if (n.name === feed && n.op === 'Placeholder' && n.attr && n.attr.shape)
					n.attr.shape = { shape: { unknownRank: true } };
			const dir = path.dirname(jsonPath);
			const specs = [];
			const bufs = [];
			for (const g of doc.weightsManifest) {
				specs.push(...g.weights);
				for (const p of g.paths) bufs.push(fs.readFileSync(path.join(dir, p)));
			}
			const all = Buffer.concat(bufs);
			return {
				modelTopology: doc.modelTopology,
				format: doc.format,
				generatedBy: doc.generatedBy,
				convertedBy: doc.convertedBy,
				signature: doc.signature,
				userDefinedMetadata: doc.userDefinedMetadata,
				modelInitializer: doc.modelInitializer,
				weightSpecs: specs,
				weightData: all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength),
			};
		},
	};
}

async function main() {
	const [json, feature, inputNode, onnxPath, input, k] = process.argv.slice(2);
	const K = +k;
	if (!(K > 0)) {
		process.stderr.write('usage: node tfjs_check.js MODEL.json FEATURE INPUT_NODE|- MODEL.onnx INPUT.f32 K\n');
		process.exit(2);
	}
	// tfjs greets on console.log: keep stdout for the result.
	const log = console.log;
	console.log = (...a) => process.stderr.write(a.join(' ') + '\n');
	const tf = require(path.join(nm, '@tensorflow', 'tfjs'));
	const ort = require(path.join(nm, 'onnxruntime-node'));
	await tf.setBackend('cpu');

	const H = 224, W = 224, per = 3 * H * W;
	const buf = fs.readFileSync(input);
	const all = new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4);
	if (all.length < K * per) throw new Error(`${input}: fewer than ${K} images`);
	const nchw = new Float32Array(K * per);
	for (let i = 0; i < K * per; i++)
		nchw[i] = Math.min(255, Math.max(0, all[i] * 40 + 128)) / 255;

	const doc = JSON.parse(fs.readFileSync(json, 'utf8'));
	const graph = doc.format === 'graph-model' || Array.isArray(doc.modelTopology.node);
	let run;
	if (graph) {
		const model = await tf.loadGraphModel(handler(json, inputNode));
		const feed = inputNode === '-' ? model.inputs[0].name : inputNode;
		run = async (x) => {
			let y;
			try {
				y = model.execute({ [feed]: x }, feature);
			} catch (e) {
				// a fed Merge (tf.cond's output) makes tfjs want executeAsync
				y = await model.executeAsync({ [feed]: x }, feature);
			}
			const f = tf.mean(y, [1, 2]);
			const v = f.dataSync().slice();
			tf.dispose([y, f]);
			return v;
		};
	} else {
		const model = await tf.loadLayersModel(handler(json));
		const sub = tf.model({ inputs: model.inputs, outputs: model.getLayer(feature).output });
		run = async (x) => tf.tidy(() => tf.mean(sub.predict(x), [1, 2]).dataSync().slice());
	}

	const sess = await ort.InferenceSession.create(onnxPath, { graphOptimizationLevel: 'all' });
	const res = await sess.run({ [sess.inputNames[0]]: new ort.Tensor('float32', nchw, [K, 3, H, W]) });
	const got = res[sess.outputNames[0]].data;
	const C = got.length / K;

	let worst = 0, sum = 0;
	for (let n = 0; n < K; n++) {
		const nhwc = new Float32Array(per);
		for (let c = 0; c < 3; c++)
			for (let i = 0; i < H * W; i++) nhwc[i * 3 + c] = nchw[n * per + c * H * W + i];
		const x = tf.tensor4d(nhwc, [1, H, W, 3]);
		const ref = await run(x);
		x.dispose();
		if (ref.length !== C) throw new Error(`tfjs gives ${ref.length} features, ort ${C}`);
		let d = 0, m = 0;
		for (let c = 0; c < C; c++) {
			d = Math.max(d, Math.abs(got[n * C + c] - ref[c]));
			m = Math.max(m, Math.abs(ref[c]));
		}
		const rel = d / (m || 1);
		worst = Math.max(worst, rel);
		sum += rel;
	}
	log(`AGREE ${K} ${worst.toExponential(2)} ${(sum / K).toExponential(2)} ${C} tfjs ${tf.version.tfjs}`);
}

main().catch((e) => { process.stderr.write(`tfjs_check.js: ${e.message}\n`); process.exit(1); });
