#!/usr/bin/env node
// tools/nsfwjs-extract.js - turns one Keras model shipped inside the npm
// package nsfwjs (as browserify UMD modules: model.min.js holding
// {modelTopology, weightsManifest}, group1-shardKofN.min.js each holding one
// base64 string) into the standard TF.js layers format: model.json plus
// binary shards group1-shardKofN.bin.
//
// The weights are copied byte for byte: the uint8-quantised tensors stay
// quantised exactly as shipped (the manifest's quantization {min, scale,
// dtype} is kept).  Only the manifest's shard paths change (".bin" is added)
// and format/generatedBy fields are filled in.  The modules are evaluated in an
// empty vm context (no require, no fs), so they can only compute a value.
//
// usage: node tools/nsfwjs-extract.js SRCDIR OUTDIR
//   SRCDIR: e.g. package/dist/models/mobilenet_v2 of the unpacked tarball
//   OUTDIR: created if missing; must not hold a model already
// Prints nothing on success; on failure one line on stderr, exit 1.
'use strict';
const fs = require('fs');
const path = require('path');
const vm = require('vm');

function die(msg) {
	process.stderr.write(`nsfwjs-extract: ${msg}\n`);
	process.exit(1);
}

// Evaluates a UMD module in a sandbox and returns its module.exports.
function evalModule(file) {
	let src;
	try {
		src = fs.readFileSync(file, 'utf8');
	} catch (e) {
		die(`${file}: ${e.message}`);
	}
	const mod = { exports: {} };
	const ctx = vm.createContext({ module: mod, exports: mod.exports });
	try {
		vm.runInContext(src, ctx, { filename: file, timeout: 60000 });
	} catch (e) {
		die(`${file}: cannot evaluate: ${e.message}`);
	}
	return mod.exports;
}

function main() {
	if (process.argv.length !== 4)
		die('usage: node tools/nsfwjs-extract.js SRCDIR OUTDIR');
	const [src, out] = process.argv.slice(2);
	const mfile = path.join(src, 'model.min.js');
	const m = evalModule(mfile);
	if (!m || typeof m !== 'object' || !m.modelTopology || !Array.isArray(m.weightsManifest))
		die(`${mfile}: no modelTopology/weightsManifest: not a layers model`);
	const topo = m.modelTopology;
	if (!topo.model_config || !topo.model_config.config || !Array.isArray(topo.model_config.config.layers))
		die(`${mfile}: modelTopology has no model_config.config.layers: not a Keras model`);

	const manifest = [];
	const shards = [];
	for (const group of m.weightsManifest) {
		let want = 0;
		for (const w of group.weights) {
			const n = w.shape.reduce((a, b) => a * b, 1);
			const q = w.quantization;
			const size = q ? { uint8: 1, uint16: 2, float16: 2 }[q.dtype] : { float32: 4, int32: 4, bool: 1 }[w.dtype];
			if (!size)
				die(`${mfile}: ${w.name}: unsupported dtype ${q ? q.dtype : w.dtype}`);
			want += n * size;
		}
		let have = 0;
		const paths = [];
		for (const p of group.paths) {
			if (!/^[A-Za-z0-9_.-]+$/.test(p))
				die(`${mfile}: bad shard path ${JSON.stringify(p)}`);
			const sfile = path.join(src, `${p}.min.js`);
			const b64 = evalModule(sfile);
			if (typeof b64 !== 'string')
				die(`${sfile}: does not export a base64 string`);
			const bytes = Buffer.from(b64, 'base64');
			if (bytes.toString('base64') !== b64)
				die(`${sfile}: not canonical base64`);
			have += bytes.length;
			const name = p.endsWith('.bin') ? p : `${p}.bin`;
			shards.push([name, bytes]);
			paths.push(name);
		}
		if (have !== want)
			die(`${mfile}: shards hold ${have} bytes, the manifest declares ${want}`);
		manifest.push({ paths, weights: group.weights });
	}

	const model = {
		format: 'layers-model',
		generatedBy: `keras v${topo.keras_version || 'unknown'}`,
		convertedBy: 'tl tools/nsfwjs-extract.js from nsfwjs UMD modules',
		modelTopology: topo,
		weightsManifest: manifest,
	};
	fs.mkdirSync(out, { recursive: true });
	for (const [name, bytes] of shards)
		fs.writeFileSync(path.join(out, name), bytes);
	fs.writeFileSync(path.join(out, 'model.json'), JSON.stringify(model));
}

main();
