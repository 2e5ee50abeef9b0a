/*
 * tfjs_weights.c - a TF.js model's weightsManifest and shards, read for
 * keras.c and tfgraph.c (see tfjs_weights.h).
 *
 * How: the shards of each manifest group are read into one block, in
 * manifest order, and every weight spec is given its slice; the group's
 * shards must hold exactly its weights' bytes.  Shard paths are relative
 * and stay below the model's directory.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/half.h"
#include "nn/tfjs_weights.h"

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "tfjs_weights.c reads little-endian weight shards directly"
#endif

static int
read_file(const char *path, unsigned char **buf, int64_t *len, int64_t cap,
    struct tl_err *err)
{
	FILE *f;
	struct stat st;
	unsigned char *b;

	if ((f = fopen(path, "rb")) == NULL)
		return tl_err_set(err, "%s: %s", path, strerror(errno));
	if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
		fclose(f);
		return tl_err_set(err, "%s: not a regular file", path);
	}
	if ((int64_t)st.st_size > cap - *len) {
		fclose(f);
		return tl_err_set(err, "%s: weights larger than %lld bytes in all",
		    path, (long long)cap);
	}
	if ((b = realloc(*buf, *len + st.st_size + 1)) == NULL) {
		fclose(f);
		return tl_err_set(err, "out of memory");
	}
	*buf = b;
	if (fread(b + *len, 1, st.st_size, f) != (size_t)st.st_size || ferror(f)) {
		fclose(f);
		return tl_err_set(err, "%s: short read", path);
	}
	fclose(f);
	*len += st.st_size;
	return 0;
}

/* A shard path from the manifest: relative, no "..", no odd bytes. */
static int
safe_path(const char *p)
{
	if (p[0] == '\0' || p[0] == '/' || strlen(p) > 255)
		return 0;
	for (const char *s = p; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == '\\')
			return 0;
	for (const char *s = p; (s = strstr(s, "..")) != NULL; s += 2)
		if ((s == p || s[-1] == '/') && (s[2] == '\0' || s[2] == '/'))
			return 0;
	return 1;
}

static int
parse_spec(json_t *js, struct tl_tfjs_weight *w, const struct tl_tfjs_opt *opt,
    struct tl_err *err)
{
	json_t *shape = json_object_get(js, "shape"), *q, *d;
	const char *dt = json_string_value(json_object_get(js, "dtype"));
	int nm = opt->namemax;
	size_t i;

	w->name = json_string_value(json_object_get(js, "name"));
	if (w->name == NULL || !json_is_array(shape) || dt == NULL)
		return tl_err_set(err, "weightsManifest: a weight without name, shape or dtype");
	if (json_array_size(shape) > TL_NN_MAXRANK)
		return tl_err_set(err, "weight '%.*s': rank %zu too large", nm, w->name,
		    json_array_size(shape));
	w->rank = json_array_size(shape);
	w->n = 1;
	json_array_foreach(shape, i, d) {
		if (!json_is_integer(d) || json_integer_value(d) < 0 ||
		    json_integer_value(d) > ((int64_t)1 << 31))
			return tl_err_set(err, "weight '%.*s': bad shape", nm, w->name);
		w->dims[i] = json_integer_value(d);
		w->n *= w->dims[i];
		if (w->n > ((int64_t)1 << 31))
			return tl_err_set(err, "weight '%.*s': too large", nm, w->name);
	}
	if (opt->ints && strcmp(dt, "int32") == 0)
		w->q = TL_TFJS_I32;
	else if (opt->ints && strcmp(dt, "bool") == 0)
		w->q = TL_TFJS_BOOL;
	else if (strcmp(dt, "float32") == 0)
		w->q = TL_TFJS_F32;
	else
		return tl_err_set(err, "weight '%.*s': unsupported dtype %.32s",
		    nm, w->name, dt);
	if ((q = json_object_get(js, "quantization")) != NULL && !json_is_null(q)) {
		const char *qd = json_string_value(json_object_get(q, "dtype"));
		json_t *mn = json_object_get(q, "min"), *sc = json_object_get(q, "scale");

		if (w->q != TL_TFJS_F32)
			return tl_err_set(err, "weight '%.*s': quantised %s", nm, w->name, dt);
		if (qd == NULL)
			return tl_err_set(err, "weight '%.*s': quantization without dtype",
			    nm, w->name);
		if (strcmp(qd, "float16") == 0) {
			w->q = TL_TFJS_F16;
			return 0;
		}
		if (strcmp(qd, "uint8") == 0)
			w->q = TL_TFJS_U8;
		else if (strcmp(qd, "uint16") == 0)
			w->q = TL_TFJS_U16;
		else
			return tl_err_set(err, "weight '%.*s': unsupported quantization dtype %.32s",
			    nm, w->name, qd);
		if (!json_is_number(mn) || !json_is_number(sc))
			return tl_err_set(err, "weight '%.*s': quantization without min and scale",
			    nm, w->name);
		w->min = json_number_value(mn);
		w->scale = json_number_value(sc);
	}
	return 0;
}

static int64_t
spec_bytes(const struct tl_tfjs_weight *w)
{
	static const int size[] = { [TL_TFJS_F32] = 4, [TL_TFJS_F16] = 2,
	    [TL_TFJS_U8] = 1, [TL_TFJS_U16] = 2, [TL_TFJS_I32] = 4, [TL_TFJS_BOOL] = 1 };

	return w->n * size[w->q];
}

int
tl_tfjs_read_weights(struct tl_tfjs_weights *ws, json_t *root, const char *dir,
    const struct tl_tfjs_opt *opt, struct tl_err *err)
{
	json_t *man = json_object_get(root, "weightsManifest"), *g, *p, *js;
	size_t gi, i;
	char path[4096];

	if (!json_is_array(man))
		return tl_err_set(err, "no weightsManifest");
	json_array_foreach(man, gi, g) {
		json_t *paths = json_object_get(g, "paths"), *wj = json_object_get(g, "weights");
		int64_t start = ws->nblob, off;

		if (!json_is_array(paths) || !json_is_array(wj))
			return tl_err_set(err, "weightsManifest group %zu: no paths or weights", gi);
		json_array_foreach(paths, i, p) {
			const char *s = json_string_value(p);
			if (s == NULL || !safe_path(s))
				return tl_err_set(err, "weightsManifest group %zu: bad shard path", gi);
			if (snprintf(path, sizeof path, "%s/%s", dir, s) >= (int)sizeof path)
				return tl_err_set(err, "%s: path too long", s);
			if (read_file(path, &ws->blob, &ws->nblob, TL_TFJS_MAX_BLOB, err))
				return -1;
		}
		off = start;
		json_array_foreach(wj, i, js) {
			struct tl_tfjs_weight *w;

			if (ws->nw >= opt->maxw)
				return tl_err_set(err, "weightsManifest: too many weights");
			if ((w = realloc(ws->w, (ws->nw + 1) * sizeof *w)) == NULL)
				return tl_err_set(err, "out of memory");
			ws->w = w;
			w = &ws->w[ws->nw++];
			memset(w, 0, sizeof *w);
			if (parse_spec(js, w, opt, err))
				return -1;
			w->off = off;
			off += spec_bytes(w);
			if (off > ws->nblob)
				return tl_err_set(err,
				    "weightsManifest group %zu: shards hold %lld bytes, the weights need more",
				    gi, (long long)(ws->nblob - start));
		}
		if (off != ws->nblob)
			return tl_err_set(err,
			    "weightsManifest group %zu: shards hold %lld bytes, the weights %lld",
			    gi, (long long)(ws->nblob - start), (long long)(off - start));
	}
	return 0;
}

void
tl_tfjs_dequantise(const struct tl_tfjs_weights *ws, const struct tl_tfjs_weight *w,
    float *dst)
{
	const unsigned char *p = ws->blob + w->off;

	for (int64_t i = 0; i < w->n; i++) {
		/* tfjs: values[i] = v * scale + min in double, stored to a
		 * Float32Array.  volatile keeps the compiler from fusing the
		 * multiply-add, which would round differently. */
		volatile double t;
		uint16_t u16;

		switch (w->q) {
		case TL_TFJS_F32:
			memcpy(&dst[i], p + 4 * i, 4);
			break;
		case TL_TFJS_U8:
			t = (double)p[i] * w->scale;
			dst[i] = (float)(t + w->min);
			break;
		case TL_TFJS_U16:
			memcpy(&u16, p + 2 * i, 2);
			t = (double)u16 * w->scale;
			dst[i] = (float)(t + w->min);
			break;
		case TL_TFJS_F16:
			memcpy(&u16, p + 2 * i, 2);
			dst[i] = tl_half_to_float(u16);
			break;
		default:	/* TL_TFJS_I32, TL_TFJS_BOOL: not floats */
			break;
		}
	}
}

void
tl_tfjs_weights_free(struct tl_tfjs_weights *ws)
{
	free(ws->blob);
	free(ws->w);
	ws->blob = NULL;
	ws->w = NULL;
	ws->nw = 0;
	ws->nblob = 0;
}

json_t *
tl_tfjs_open_json(const char *path, char *file, char *dir, struct tl_err *err)
{
	struct stat st;
	json_error_t je;
	json_t *root;
	char *slash;
	FILE *f;

	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
		snprintf(file, TL_TFJS_PATH, "%s/model.json", path);
	else
		snprintf(file, TL_TFJS_PATH, "%s", path);
	snprintf(dir, TL_TFJS_PATH, "%s", file);
	if ((slash = strrchr(dir, '/')) != NULL)
		*slash = '\0';
	else
		snprintf(dir, TL_TFJS_PATH, ".");

	if ((f = fopen(file, "rb")) == NULL) {
		tl_err_set(err, "%s: %s", file, strerror(errno));
		return NULL;
	}
	if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > TL_TFJS_MAX_JSON) {
		tl_err_set(err, "%s: not a regular file of at most %lld bytes", file,
		    (long long)TL_TFJS_MAX_JSON);
		fclose(f);
		return NULL;
	}
	root = json_loadf(f, JSON_REJECT_DUPLICATES, &je);
	fclose(f);
	if (root == NULL)
		tl_err_set(err, "%s:%d: %s", file, je.line, je.text);
	return root;
}
