#!/usr/bin/env node
// tools/tfjs-reference.js - the peer that tl's Keras engine is checked
// against: runs a TF.js layers model (models/mobilenetv2 by default) with
// @tensorflow/tfjs on its pure-JS cpu backend, on PNG files decoded by pngjs,
// and prints JSON:
//   {"model", "tfjs", "backend", "scale", "feature_layer", "classes",
//    "images": [{"file", "features": [D], "probs": [5], "layers": {NAME:
//    {"shape": [H,W,C], "values": [...]}}}]}
// features: the global average over H,W of the feature layer (out_relu for
// mobilenetv2, from the model's tl-model.json); probs: the package's own
// softmax head (dense_3).  Inputs are used as nsfwjs does (RGB, alpha dropped,
// float32 x/255), but never resized: each PNG must be exactly the model's
// input size.  Numbers are float32 values printed with --digits significant
// digits (9 round-trips a float32).
//
// usage: node tools/tfjs-reference.js [--model DIR] [--scale 01|-11]
//          [--layer NAME]... [--digits N] FILE.png...
// Deterministic: the cpu backend, no randomness (Dropout is inactive in predict).
'use strict';
const fs = require('fs');
const path = require('path');

// tfjs greets on console.log: keep stdout for the JSON alone.
console.log = console.warn = console.info = (...a) => process.stderr.write(a.join(' ') + '\n');

function die(msg, usage) {
	process.stderr.write(`tfjs-reference: ${msg}\n`);
	if (usage)
		process.stderr.write('usage: node tools/tfjs-reference.js [--model DIR] [--scale 01|-11] [--layer NAME]... [--digits N] FILE.png...\n');
	process.exit(usage ? 2 : 1);
}

function parseArgs(argv) {
	const o = { model: 'models/mobilenetv2', scale: '01', layers: [], digits: 9, files: [] };
	for (let i = 0; i < argv.length; i++) {
		const a = argv[i];
		const val = () => {
			if (i + 1 >= argv.length)
				die(`${a} needs a value`, true);
			return argv[++i];
		};
		if (a === '--model') o.model = val();
		else if (a === '--scale') o.scale = val();
		else if (a === '--layer') o.layers.push(val());
		else if (a === '--digits') o.digits = Number(val());
		else if (a === '--') { o.files.push(...argv.slice(i + 1)); break; }
		else if (a.startsWith('--')) die(`unknown option ${a}`, true);
		else o.files.push(a);
	}
	if (o.scale !== '01' && o.scale !== '-11')
		die(`--scale: ${o.scale}: want 01 or -11`, true);
	if (!Number.isInteger(o.digits) || o.digits < 1 || o.digits > 17)
		die('--digits: want an integer 1..17', true);
	if (o.files.length === 0)
		die('no input files', true);
	return o;
}

function readJSON(file) {
	try {
		return JSON.parse(fs.readFileSync(file, 'utf8'));
	} catch (e) {
		die(`${file}: ${e.message}${fs.existsSync(file) ? '' : ' (run make model)'}`);
	}
}

// model.json + shards -> tf.io.fromMemory artifacts (shards concatenated in
// manifest order, as tf.loadLayersModel over http would do).
function artifacts(dir) {
	const mj = readJSON(path.join(dir, 'model.json'));
	const specs = [];
	const bufs = [];
	for (const g of mj.weightsManifest) {
		specs.push(...g.weights);
		for (const p of g.paths)
			bufs.push(fs.readFileSync(path.join(dir, p)));
	}
	const all = Buffer.concat(bufs);
	const data = all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength);
	return { modelTopology: mj.modelTopology, weightSpecs: specs, weightData: data, format: mj.format };
}

// PNG -> Float32Array [H*W*3] of RGB bytes (alpha dropped)
function readPNG(PNG, file, h, w) {
	let img;
	try {
		img = PNG.sync.read(fs.readFileSync(file));
	} catch (e) {
		die(`${file}: ${e.message}`);
	}
	if (img.height !== h || img.width !== w)
		die(`${file}: ${img.width}x${img.height}, want exactly ${w}x${h} (no resize here)`);
	const px = new Float32Array(h * w * 3);
	for (let i = 0; i < h * w; i++)
		for (let c = 0; c < 3; c++)
			px[i * 3 + c] = img.data[i * 4 + c];
	return px;
}

function round(x, digits) {
	return Number(Math.fround(x).toPrecision(digits));
}

async function main() {
	const o = parseArgs(process.argv.slice(2));
	const tf = require('@tensorflow/tfjs');
	const { PNG } = require('pngjs');
	await tf.setBackend('cpu');
	const side = readJSON(path.join(o.model, 'tl-model.json'));
	const model = await tf.loadLayersModel(tf.io.fromMemory(artifacts(o.model)));
	const h = side.input.height, w = side.input.width;
	const featName = side.features.layer;
	const names = [featName, ...o.layers];
	const outs = names.map((n) => {
		try {
			return model.getLayer(n).output;
		} catch (e) {
			die(`${o.model}: no layer ${n}`);
		}
	});
	const sub = tf.model({ inputs: model.inputs, outputs: [...outs, model.outputs[0]] });

	const images = [];
	for (const file of o.files) {
		const px = readPNG(PNG, file, h, w);
		const res = tf.tidy(() => {
			const raw = tf.tensor4d(px, [1, h, w, 3], 'float32');
			// nsfwjs: img.toFloat().div(255), a float32 division
			const x = o.scale === '01' ? raw.div(255) : raw.div(127.5).sub(1);
			const ys = sub.predict(x);
			const feat = tf.mean(ys[0], [1, 2]);
			return [feat, ...ys.slice(1)].map((t) => ({ shape: t.shape.slice(1), values: t.dataSync() }));
		});
		const rec = {
			file: path.basename(file),
			features: Array.from(res[0].values, (v) => round(v, o.digits)),
			probs: Array.from(res[res.length - 1].values, (v) => round(v, o.digits)),
		};
		if (o.layers.length) {
			rec.layers = {};
			o.layers.forEach((n, i) => {
				const r = res[i + 1];
				rec.layers[n] = { shape: r.shape, values: Array.from(r.values, (v) => round(v, o.digits)) };
			});
		}
		images.push(rec);
	}
	const doc = {
		model: side.name,
		tfjs: tf.version.tfjs,
		backend: tf.getBackend(),
		scale: o.scale === '01' ? '[0,1]' : '[-1,1]',
		feature_layer: featName,
		classes: side.head.classes,
		images,
	};
	process.stdout.write(JSON.stringify(doc) + '\n');
}

main().catch((e) => die(e.stack || String(e)));
