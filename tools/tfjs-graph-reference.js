#!/usr/bin/env node
// tools/tfjs-graph-reference.js - the peer that tl's TF.js graph-model
// loader (lib/nn/tfgraph.c) is checked against: runs a graph model
// (model.json "format": "graph-model" + shards, read from DIR, no network)
// with @tensorflow/tfjs on its pure-JS cpu backend, feeding the node its
// tl-model.json names as input (input.node, at input.height x input.width:
// the graph's own placeholder size is not kept), and executes it up to the
// named nodes on PNG files decoded by pngjs.  Prints JSON:
//   {"model", "tfjs", "backend", "input_node", "scale", "images": [{"file",
//    "layers": {NAME: {"shape": [H,W,C], "mean": [C], "sample": [256]}}}]}
// mean: each channel's average over H,W; sample: 256 values of the NHWC map
// at flat indices (floor(k * size / 256) + k) mod size, k = 0..255 (catches a shifted or
// mis-padded map that the means would hide).  Inputs: RGB, alpha dropped,
// float32 pixel values for scale [0,255], x/255 (a float32 division) for
// [0,1]; never resized.  Numbers are float32 values to --digits significant
// digits.
//
// usage: node tools/tfjs-graph-reference.js --model DIR [--digits N]
//          --layer NAME... FILE.png...
'use strict';
const fs = require('fs');
const path = require('path');

console.log = console.warn = console.info = (...a) => process.stderr.write(a.join(' ') + '\n');

function die(msg, usage) {
	process.stderr.write(`tfjs-graph-reference: ${msg}\n`);
	if (usage)
		process.stderr.write('usage: node tools/tfjs-graph-reference.js --model DIR [--digits N] --layer NAME... FILE.png...\n');
	process.exit(usage ? 2 : 1);
}

function parseArgs(argv) {
	const o = { model: null, layers: [], digits: 9, files: [] };
	for (let i = 0; i < argv.length; i++) {
		const a = argv[i];
		const val = () => {
			if (i + 1 >= argv.length)
				die(`${a} needs a value`, true);
			return argv[++i];
		};
		if (a === '--model') o.model = val();
		else if (a === '--layer') o.layers.push(val());
		else if (a === '--digits') o.digits = Number(val());
		else if (a.startsWith('--')) die(`unknown option ${a}`, true);
		else o.files.push(a);
	}
	if (!o.model || o.layers.length === 0 || o.files.length === 0)
		die('need --model, --layer and files', true);
	if (!Number.isInteger(o.digits) || o.digits < 1 || o.digits > 17)
		die('--digits: want an integer 1..17', true);
	return o;
}

function readJSON(file) {
	try {
		return JSON.parse(fs.readFileSync(file, 'utf8'));
	} catch (e) {
		die(`${file}: ${e.message}`);
	}
}

// model.json + shards -> tf.io.fromMemory artifacts (shards concatenated in
// manifest order, as tf.loadGraphModel over http would do).
// The input node's fixed H,W (a placeholder's shape) are freed in memory,
// as tl's loader frees them: the model runs at the sidecar's size.
function artifacts(dir, inNode) {
	const mj = readJSON(path.join(dir, 'model.json'));
	if (mj.format !== 'graph-model')
		die(`${dir}: not a graph model`);
	for (const n of mj.modelTopology.node) {
		const dim = n.name === inNode && n.attr && n.attr.shape && n.attr.shape.shape &&
			n.attr.shape.shape.dim;
		if (dim && dim.length === 4)
			dim[1].size = dim[2].size = '-1';
	}
	const specs = [];
	const bufs = [];
	for (const g of mj.weightsManifest) {
		specs.push(...g.weights);
		for (const p of g.paths)
			bufs.push(fs.readFileSync(path.join(dir, p)));
	}
	const all = Buffer.concat(bufs);
	const data = all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength);
	return { modelTopology: mj.modelTopology, weightSpecs: specs, weightData: data,
		format: mj.format, signature: mj.signature };
}

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
	const h = side.input.height, w = side.input.width, inNode = side.input.node;
	if (side.scale !== '[0,1]' && side.scale !== '[0,255]')
		die(`${o.model}: scale ${side.scale}: want [0,1] or [0,255]`);
	const model = await tf.loadGraphModel(tf.io.fromMemory(artifacts(o.model, inNode)));
	const images = [];
	for (const file of o.files) {
		const px = readPNG(PNG, file, h, w);
		const raw = tf.tensor4d(px, [1, h, w, 3], 'float32');
		const x = side.scale === '[0,1]' ? raw.div(255) : raw;
		// executeAsync: a fed Merge (rvm's input node) is a dynamic op
		let ys = await model.executeAsync({ [inNode]: x }, o.layers);
		if (!Array.isArray(ys))
			ys = [ys];
		const res = ys.map((t) => ({ shape: t.shape.slice(1), values: t.dataSync(),
			mean: tf.tidy(() => tf.mean(t, [0, 1, 2]).dataSync()) }));
		tf.dispose([raw, x, ...ys]);
		const rec = { file: path.basename(file), layers: {} };
		o.layers.forEach((n, i) => {
			const r = res[i], size = r.values.length, sample = [];
			for (let k = 0; k < 256; k++)
				sample.push(round(r.values[(Math.floor(k * size / 256) + k) % size], o.digits));
			rec.layers[n] = { shape: r.shape, mean: Array.from(r.mean, (v) => round(v, o.digits)), sample };
		});
		images.push(rec);
	}
	process.stdout.write(JSON.stringify({
		model: side.name, tfjs: tf.version.tfjs, backend: tf.getBackend(),
		input_node: inNode, scale: side.scale, images,
	}) + '\n');
}

main().catch((e) => die(e.stack || String(e)));
