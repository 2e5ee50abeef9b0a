#!/usr/bin/env node
// tests/model/tiny.js - writes tests/model/tiny/: a tiny Keras model in the
// TF.js layers format built with @tensorflow/tfjs, with tfjs's own outputs
// on a fixed input, for the Keras loader's unit test (test_keras.c, which
// needs no downloaded model).  It exercises what the nsfwjs backbones do not:
// "same" padding with the odd pixel at the bottom/right, Flatten's H,W,C
// order, AveragePooling2D "same" (padding not counted), a depth multiplier,
// uint8, uint16 and float32 weights side by side.
//
//   model.json, group1-shard1of1.bin   the model; weights quantised here, the
//                                      tfjs model run with the dequantised ones
//   expected.json                      {"input": [2,5,4,2] NHWC values,
//                                      "outputs": {name: {"shape", "values"}}}
// usage: node tests/model/tiny.js (from the top of the tree; npm ci first)
'use strict';
const fs = require('fs');
const path = require('path');

console.log = console.warn = console.info = (...a) => process.stderr.write(a.join(' ') + '\n');
const tf = require('@tensorflow/tfjs');

const out = path.join(__dirname, 'tiny');

let seed = 12345;
function rnd() {	// LCG in [0,1): deterministic, no dependency
	seed = (seed * 1103515245 + 12345) % 2147483648;
	return seed / 2147483648;
}

// Quantised weights: kind u8 / u16 / f32; lo..hi the value range.
// Returns {spec, bytes, values (Float32Array, what tfjs computes)}.
function weight(name, shape, kind, lo, hi) {
	const n = shape.reduce((a, b) => a * b, 1);
	const spec = { name, shape, dtype: 'float32' };
	const values = new Float32Array(n);
	let bytes;
	if (kind === 'f32') {
		for (let i = 0; i < n; i++)
			values[i] = lo + (hi - lo) * rnd();
		bytes = Buffer.from(values.buffer);
	} else {
		const levels = kind === 'u8' ? 255 : 65535;
		const min = lo, scale = (hi - lo) / levels;
		const q = kind === 'u8' ? new Uint8Array(n) : new Uint16Array(n);
		for (let i = 0; i < n; i++) {
			q[i] = Math.floor(rnd() * (levels + 1));
			values[i] = q[i] * scale + min;	// as tfjs io_utils does
		}
		spec.quantization = { min, scale, dtype: kind === 'u8' ? 'uint8' : 'uint16' };
		bytes = Buffer.from(q.buffer);
	}
	return { spec, bytes, values };
}

async function main() {
	await tf.setBackend('cpu');
	const L = tf.layers;
	const x = tf.input({ shape: [5, 4, 2], name: 'input_1' });
	const a = L.conv2d({ name: 'conv_a', filters: 3, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu' }).apply(x);
	const af = L.flatten({ name: 'flat_a' }).apply(a);
	const b = L.depthwiseConv2d({ name: 'dw_b', kernelSize: 3, depthMultiplier: 2, padding: 'same', useBias: false }).apply(x);
	const bn = L.batchNormalization({ name: 'bn_b', epsilon: 0.001 }).apply(b);
	const r6 = L.reLU({ name: 'relu6_b', maxValue: 6 }).apply(bn);
	const ap = L.averagePooling2d({ name: 'avg_b', poolSize: 3, strides: 2, padding: 'same' }).apply(r6);
	const mp = L.maxPooling2d({ name: 'max_c', poolSize: 2 }).apply(x);
	const zp = L.zeroPadding2d({ name: 'pad_c', padding: [[0, 1], [0, 0]] }).apply(mp);
	const cat = L.concatenate({ name: 'cat', axis: -1 }).apply([ap, zp]);
	const c2 = L.conv2d({ name: 'conv_d', filters: 6, kernelSize: 1 }).apply(cat);
	const add = L.add({ name: 'add' }).apply([cat, c2]);
	const act = L.activation({ name: 'act', activation: 'relu' }).apply(add);
	const gap = L.globalAveragePooling2d({ name: 'gap' }).apply(act);
	const cat2 = L.concatenate({ name: 'cat2' }).apply([af, gap]);
	const dr = L.dropout({ name: 'drop', rate: 0.5 }).apply(cat2);
	const y = L.dense({ name: 'dense', units: 5, activation: 'softmax' }).apply(dr);
	const model = tf.model({ inputs: x, outputs: y, name: 'tiny' });

	// every weight replaced by a quantised one, in the model's own order
	const plan = {
		'conv_a/kernel': ['u8', -1, 1], 'conv_a/bias': ['u8', -0.5, 0.5],
		'dw_b/depthwise_kernel': ['u8', -1, 1],
		'bn_b/gamma': ['u8', 0.5, 1.5], 'bn_b/beta': ['u8', -0.5, 0.5],
		'bn_b/moving_mean': ['u8', -0.2, 0.2], 'bn_b/moving_variance': ['u8', 0.5, 2],
		'conv_d/kernel': ['u16', -0.7, 0.7], 'conv_d/bias': ['u8', -0.1, 0.1],
		'dense/kernel': ['u8', -0.8, 0.8], 'dense/bias': ['f32', -0.3, 0.3],
	};
	const specs = [], bufs = [];
	for (const layer of model.layers) {
		const ws = layer.weights;
		if (ws.length === 0)
			continue;
		const vals = ws.map((w) => {
			const name = w.originalName || w.name;
			const p = plan[name];
			if (!p)
				throw new Error(`no plan for weight ${name}`);
			const q = weight(name, w.shape, ...p);
			specs.push(q.spec);
			bufs.push(q.bytes);
			return tf.tensor(q.values, w.shape);
		});
		layer.setWeights(vals);
	}

	let topology;
	await model.save(tf.io.withSaveHandler(async (art) => {
		topology = art.modelTopology;
		return { modelArtifactsInfo: { dateSaved: new Date(0), modelTopologyType: 'JSON' } };
	}));

	// input: two images of [5,4,2], NHWC
	const input = new Float32Array(2 * 5 * 4 * 2);
	for (let i = 0; i < input.length; i++)
		input[i] = Math.fround(((i * 37) % 23) / 11 - 1);
	const sub = tf.model({ inputs: x, outputs: [af, cat, y] });
	const res = sub.predict(tf.tensor4d(input, [2, 5, 4, 2]));
	const outputs = {};
	['flat_a', 'cat', 'dense'].forEach((n, i) => {
		outputs[n] = { shape: res[i].shape, values: Array.from(res[i].dataSync()) };
	});

	fs.mkdirSync(out, { recursive: true });
	fs.writeFileSync(path.join(out, 'group1-shard1of1.bin'), Buffer.concat(bufs));
	fs.writeFileSync(path.join(out, 'model.json'), JSON.stringify({
		format: 'layers-model',
		generatedBy: `TensorFlow.js tfjs-layers v${tf.version.tfjs}`,
		convertedBy: null,
		modelTopology: topology,
		weightsManifest: [{ paths: ['group1-shard1of1.bin'], weights: specs }],
	}));
	fs.writeFileSync(path.join(out, 'expected.json'), JSON.stringify({
		tfjs: tf.version.tfjs,
		input: { shape: [2, 5, 4, 2], values: Array.from(input) },
		outputs,
	}) + '\n');
}

main().catch((e) => {
	process.stderr.write(`tiny.js: ${e.stack || e}\n`);
	process.exit(1);
});
