/*
 * model.c - finding a backbone on disk and reading its description.
 *
 * The identity hash covers every file the network is made of, so two
 * streams embedded by byte-identical models agree on "model" and any change
 * of weights (re-quantised, re-exported) makes them disagree.
 */
#include <dirent.h>
#include <errno.h>
#include <glib.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backbone/model.h"
#include "backbone/scratch.h"
#include "nn/keras.h"
#include "nn/tfgraph.h"

#ifndef TL_SHAREDIR
#define TL_SHAREDIR "/usr/local/share/tl"
#endif

static int
is_file(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

static int
is_dir(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static int
ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);

	return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* A model.json's "format": a graph model's "graph-model", else (a layers
 * model says "layers-model", older ones nothing) Keras.  A file that does
 * not parse is left to the loader, which says why. */
static enum tl_model_format
json_format(const char *path)
{
	json_t *root = json_load_file(path, 0, NULL);
	const char *f = json_string_value(json_object_get(root, "format"));
	enum tl_model_format r = f && strcmp(f, "graph-model") == 0 ?
	    TL_MODEL_TFJS_GRAPH : TL_MODEL_KERAS;

	json_decref(root);
	return r;
}

/* Sets m->path/dir/format when p is a model file or a directory holding one. */
static int
try_path(struct tl_model *m, const char *p)
{
	char buf[PATH_MAX];
	const char *slash;

	if (is_dir(p)) {
		snprintf(buf, sizeof buf, "%s/model.json", p);
		if (!is_file(buf))
			snprintf(buf, sizeof buf, "%s/model.onnx", p);
		if (!is_file(buf))
			return 0;
	} else if (is_file(p) && (ends_with(p, ".onnx") || ends_with(p, ".json"))) {
		snprintf(buf, sizeof buf, "%s", p);
	} else {
		return 0;
	}
	snprintf(m->path, sizeof m->path, "%s", buf);
	slash = strrchr(buf, '/');
	if (slash == NULL)
		snprintf(m->dir, sizeof m->dir, ".");
	else
		snprintf(m->dir, sizeof m->dir, "%.*s", (int)(slash - buf), buf);
	m->format = ends_with(buf, ".onnx") ? TL_MODEL_ONNX : json_format(buf);
	return 1;
}

/* The models directory of the installation the running program belongs to:
 * BIN/../share/tl/models for the executable BIN/tl-X, so installed tools find
 * installed models under any PREFIX, and after DESTDIR staging is moved into
 * place.  Writes "" when /proc/self/exe cannot be read. */
static void
exe_models(char *buf, size_t n)
{
	char exe[PATH_MAX];
	ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
	char *slash;

	buf[0] = '\0';
	if (len <= 0)
		return;
	exe[len] = '\0';
	for (int i = 0; i < 2; i++) {	/* drop /tl-X, then /bin */
		if ((slash = strrchr(exe, '/')) == NULL)
			return;
		*slash = '\0';
	}
	snprintf(buf, n, "%s/share/tl/models", exe);
}

/* dirs: "" or a colon-separated list; appends d unless it is already there */
static void
add_dir(GString *dirs, const char *d)
{
	char *list;
	int dup = 0;

	if (d == NULL || *d == '\0')
		return;
	list = g_strdup(dirs->str);
	for (char *s = NULL, *p = strtok_r(list, ":", &s); p; p = strtok_r(NULL, ":", &s))
		dup |= strcmp(p, d) == 0;
	g_free(list);
	if (!dup)
		g_string_append_printf(dirs, "%s%s", dirs->len ? ":" : "", d);
}

/* Where a backbone named without a slash is looked up, in order: each
 * directory of TL_MODEL_PATH, the installation's own share/tl/models (next
 * to the executable's bin/), the compiled-in TL_SHAREDIR/models, ./models. */
static char *
model_dirs(void)
{
	GString *dirs = g_string_new("");
	char exe[PATH_MAX];

	add_dir(dirs, getenv("TL_MODEL_PATH"));
	exe_models(exe, sizeof exe);
	add_dir(dirs, exe);
	add_dir(dirs, TL_SHAREDIR "/models");
	add_dir(dirs, "./models");
	return g_string_free(dirs, FALSE);
}

static int
resolve(struct tl_model *m, const char *spec, struct tl_err *err)
{
	char tried[2048] = "", cand[PATH_MAX];
	char *dirs, *save = NULL;

	if (strchr(spec, '/') || ends_with(spec, ".onnx") || ends_with(spec, ".json")) {
		if (try_path(m, spec))
			return 0;
		return tl_err_set(err, "%s: no model there (want a .onnx file, a "
		    "model.json, or a directory holding one)", spec);
	}
	dirs = model_dirs();
	for (char *d = strtok_r(dirs, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
		snprintf(cand, sizeof cand, "%s/%s", d, spec);
		if (try_path(m, cand)) {
			g_free(dirs);
			return 0;
		}
		snprintf(cand, sizeof cand, "%s/%s.onnx", d, spec);
		if (try_path(m, cand)) {
			g_free(dirs);
			return 0;
		}
		if (strlen(tried) + strlen(d) + 3 < sizeof tried)
			strcat(strcat(tried, tried[0] ? ", " : ""), d);
	}
	g_free(dirs);
	return tl_err_set(err, "model '%s' not found in %s (set TL_MODEL_PATH, "
	    "or run 'make model' then 'make install' for the default backbones)",
	    spec, tried);
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The sha256 tl-model.json records for file `name` (its "sha256" map, as
 * tools/fetch-model.sh writes it), or NULL. */
static const char *
recorded_sha256(const json_t *sums, const char *name)
{
	const json_t *v = json_object_get(sums, name);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

/* sha256 over the model's files: the .onnx alone, or model.json and the
 * .bin shards beside it, in name order.  Each file whose sha256 the
 * sidecar records (sums: its "sha256" map, or NULL) is checked against it
 * on the same read (a second SHA-256 over the same bytes: about 20 ms
 * for mobilenetv2's 2.7 MB, 200 ms for inceptionv3's 22 MB), and a
 * directory model must hold each file it records: a backbone corrupted on
 * disk is refused before a weight of it is used. */
static int
hash_files(struct tl_model *m, const json_t *sums, struct tl_err *err)
{
	GChecksum *ck = g_checksum_new(G_CHECKSUM_SHA256), *one = g_checksum_new(G_CHECKSUM_SHA256);
	char *names[256];
	int n = 0, st = 0;
	unsigned char buf[1 << 16];
	const char *key;
	const json_t *v;

	if (m->format == TL_MODEL_ONNX) {
		const char *s = strrchr(m->path, '/');
		names[n++] = strdup(s ? s + 1 : m->path);
	} else {
		DIR *d = opendir(m->dir);
		struct dirent *e;
		const char *s = strrchr(m->path, '/');
		if (d == NULL) {
			g_checksum_free(ck);
			g_checksum_free(one);
			return tl_err_set(err, "%s: %s", m->dir, strerror(errno));
		}
		names[n++] = strdup(s ? s + 1 : m->path);
		while ((e = readdir(d)) != NULL && n < 256)
			if (ends_with(e->d_name, ".bin"))
				names[n++] = strdup(e->d_name);
		closedir(d);
		qsort(names + 1, (size_t)n - 1, sizeof names[0], cmp_str);
	}
	/* a directory model (tools/fetch-model.sh) has every file it records */
	if (m->format != TL_MODEL_ONNX && sums != NULL) {
		json_object_foreach((json_t *)sums, key, v) {
			int found = 0;
			for (int i = 0; i < n && !found; i++)
				found = strcmp(names[i], key) == 0;
			if (!found) {
				st = tl_err_set(err, "%s/%s: missing (tl-model.json records it; "
				    "run make model)", m->dir, key);
				break;
			}
		}
	}
	for (int i = 0; i < n && st == 0; i++) {
		const char *want = recorded_sha256(sums, names[i]);
		char p[PATH_MAX];
		FILE *f;
		size_t k;
		snprintf(p, sizeof p, "%s/%s", m->dir, names[i]);
		if ((f = fopen(p, "rb")) == NULL) {
			st = tl_err_set(err, "%s: %s", p, strerror(errno));
			break;
		}
		g_checksum_reset(one);
		while ((k = fread(buf, 1, sizeof buf, f)) > 0) {
			g_checksum_update(ck, buf, (gssize)k);
			if (want)
				g_checksum_update(one, buf, (gssize)k);
		}
		if (ferror(f))
			st = tl_err_set(err, "%s: read error", p);
		else if (want && strcmp(g_checksum_get_string(one), want) != 0)
			st = tl_err_set(err, "%s: corrupted (sha256 mismatch; run make model)", p);
		fclose(f);
	}
	if (st == 0)
		snprintf(m->sha256, sizeof m->sha256, "%s", g_checksum_get_string(ck));
	for (int i = 0; i < n; i++)
		free(names[i]);
	g_checksum_free(ck);
	g_checksum_free(one);
	return st;
}

/* Reads DIR/tl-model.json when present; *sums is then its "sha256" map
 * (a reference the caller drops with json_decref), else NULL. */
static int
read_sidecar(struct tl_model *m, json_t **sums, struct tl_err *err)
{
	char p[PATH_MAX];
	json_error_t je;
	json_t *root, *v;
	int w, h;

	snprintf(p, sizeof p, "%s/tl-model.json", m->dir);
	if (!is_file(p))
		return 0;
	if ((root = json_load_file(p, 0, &je)) == NULL)
		return tl_err_set(err, "%s:%d: %s", p, je.line, je.text);
	m->has_sidecar = 1;
	v = json_object_get(root, "input");
	w = (int)json_integer_value(json_object_get(v, "width"));
	h = (int)json_integer_value(json_object_get(v, "height"));
	if (w < 8 || h < 8 || w > 4096 || h > 4096) {
		json_decref(root);
		return tl_err_set(err, "%s: input width/height missing or out of range", p);
	}
	m->prep.width = w;
	m->prep.height = h;
	if (json_is_string(json_object_get(v, "node")))
		snprintf(m->input_node, sizeof m->input_node, "%s",
		    json_string_value(json_object_get(v, "node")));
	v = json_object_get(json_object_get(root, "resize"), "mode");
	if (json_is_string(v) && strcmp(json_string_value(v), "crop") == 0) {
		m->prep.mode = TL_RESIZE_CROP;
		m->prep.resize = (int)json_integer_value(json_object_get(
		    json_object_get(root, "resize"), "size"));
		if (m->prep.resize < w || m->prep.resize < h)
			m->prep.resize = w > h ? w : h;
	} else {
		m->prep.mode = TL_RESIZE_SQUASH;
	}
	v = json_object_get(root, "scale");
	if (json_is_string(v) && tl_prep_set_scale(&m->prep, json_string_value(v)) < 0) {
		json_decref(root);
		return tl_err_set(err, "%s: unknown scale \"%s\"", p, json_string_value(v));
	}
	v = json_object_get(root, "features");
	if (json_is_string(json_object_get(v, "layer")))
		snprintf(m->layer, sizeof m->layer, "%s",
		    json_string_value(json_object_get(v, "layer")));
	m->dim = (int)json_integer_value(json_object_get(v, "dim"));
	v = json_object_get(root, "finetune");
	if (json_is_string(json_object_get(v, "from")) && json_is_string(json_object_get(v, "to"))) {
		snprintf(m->ft_from, sizeof m->ft_from, "%s", json_string_value(json_object_get(v, "from")));
		snprintf(m->ft_to, sizeof m->ft_to, "%s", json_string_value(json_object_get(v, "to")));
	}
	if (json_is_string(json_object_get(root, "name")))
		snprintf(m->name, sizeof m->name, "%s",
		    json_string_value(json_object_get(root, "name")));
	v = json_object_get(root, "sha256");
	if (v != NULL && !json_is_object(v)) {
		json_decref(root);
		return tl_err_set(err, "%s: \"sha256\" is not a map of file names to hashes", p);
	}
	*sums = json_incref(v);
	json_decref(root);
	return 0;
}

int
tl_model_is_pixels(const char *spec)
{
	return strcmp(spec, TL_PIXELS) == 0 ||
	    strncmp(spec, TL_PIXELS ":", strlen(TL_PIXELS) + 1) == 0;
}

/* "pixels" or "pixels:N": the image itself, N x N x 3 in [0,1], shorter
 * side to N then the centre crop; named "pixels:N", identified by the
 * sha256 of that name. */
static int
open_pixels(const char *spec, struct tl_model *m, struct tl_err *err)
{
	const char *arg = strchr(spec, ':');
	char *end;
	long n = TL_PIXELS_SIZE;
	gchar *hex;

	if (arg != NULL) {
		errno = 0;
		n = strtol(arg + 1, &end, 10);
		if (arg[1] < '0' || arg[1] > '9' || *end != '\0' || errno != 0 ||
		    n < 4 || n > 128)
			return tl_err_set(err, "'%s': want pixels:N, N from 4 to 128", spec);
	}
	m->format = TL_MODEL_PIXELS;
	snprintf(m->name, sizeof m->name, TL_PIXELS ":%ld", n);
	snprintf(m->path, sizeof m->path, "%s", m->name); /* what messages name */
	snprintf(m->layer, sizeof m->layer, TL_PIXELS);
	m->dim = (int)(n * n * 3);
	m->prep.width = m->prep.height = m->prep.resize = (int)n;
	m->prep.mode = TL_RESIZE_CROP;
	tl_prep_set_scale(&m->prep, "[0,1]");
	hex = g_compute_checksum_for_string(G_CHECKSUM_SHA256, m->name, -1);
	snprintf(m->sha256, sizeof m->sha256, "%s", hex);
	g_free(hex);
	return 0;
}

int
tl_model_is_scratch(const char *spec)
{
	return strcmp(spec, TL_SCRATCH) == 0 ||
	    strncmp(spec, TL_SCRATCH ":", strlen(TL_SCRATCH) + 1) == 0;
}

int
tl_model_layer_is_input(const struct tl_model *m, const char *layer)
{
	return m->format == TL_MODEL_SCRATCH && layer != NULL &&
	    strcmp(layer, TL_SCRATCH_INPUT) == 0;
}

/* "scratch" or "scratch:N": backbone/scratch.h's network on N x N images,
 * shorter side to N then the centre crop, ImageNet's scaling; named
 * "scratch:N", identified by the sha256 of that name. */
static int
open_scratch(const char *spec, struct tl_model *m, struct tl_err *err)
{
	const char *arg = strchr(spec, ':');
	char *end;
	long n = TL_SCRATCH_SIZE;
	gchar *hex;

	if (arg != NULL) {
		errno = 0;
		n = strtol(arg + 1, &end, 10);
		if (arg[1] < '0' || arg[1] > '9' || *end != '\0' || errno != 0 ||
		    n < 16 || n > 256)
			return tl_err_set(err, "'%s': want scratch:N, N from 16 to 256", spec);
	}
	m->format = TL_MODEL_SCRATCH;
	snprintf(m->name, sizeof m->name, TL_SCRATCH ":%ld", n);
	snprintf(m->path, sizeof m->path, "%s", m->name); /* what messages name */
	snprintf(m->layer, sizeof m->layer, TL_SCRATCH_LAYER);
	snprintf(m->ft_from, sizeof m->ft_from, TL_SCRATCH_INPUT);
	snprintf(m->ft_to, sizeof m->ft_to, TL_SCRATCH_LAYER);
	m->dim = TL_SCRATCH_DIM;
	m->prep.width = m->prep.height = (int)n;
	m->prep.resize = (int)(n * 8 / 7);
	m->prep.mode = TL_RESIZE_CROP;
	tl_prep_set_scale(&m->prep, "imagenet");
	hex = g_compute_checksum_for_string(G_CHECKSUM_SHA256, m->name, -1);
	snprintf(m->sha256, sizeof m->sha256, "%s", hex);
	g_free(hex);
	return 0;
}

int
tl_model_open(const char *spec, struct tl_model *m, struct tl_err *err)
{
	const char *base;
	char *dot;
	json_t *sums = NULL;
	int st;

	memset(m, 0, sizeof *m);
	if (tl_model_is_pixels(spec))
		return open_pixels(spec, m, err);
	if (tl_model_is_scratch(spec))
		return open_scratch(spec, m, err);
	if (resolve(m, spec, err) < 0)
		return -1;
	/* name: the directory's (for model.json / model.onnx) or the file's */
	base = strrchr(m->path, '/') ? strrchr(m->path, '/') + 1 : m->path;
	if (strcmp(base, "model.json") == 0 || strcmp(base, "model.onnx") == 0)
		base = strrchr(m->dir, '/') ? strrchr(m->dir, '/') + 1 : m->dir;
	snprintf(m->name, sizeof m->name, "%s", base);
	if ((dot = strrchr(m->name, '.')) != NULL && dot != m->name &&
	    (strcmp(dot, ".onnx") == 0 || strcmp(dot, ".json") == 0))
		*dot = '\0';
	/* torchvision's defaults, for an ONNX model without a sidecar */
	m->prep.width = m->prep.height = 224;
	m->prep.mode = TL_RESIZE_CROP;
	m->prep.resize = 256;
	tl_prep_set_scale(&m->prep, "imagenet");
	st = read_sidecar(m, &sums, err) < 0 || hash_files(m, sums, err) < 0 ? -1 : 0;
	json_decref(sums);
	return st;
}

struct tl_nn *
tl_model_load(const struct tl_model *m, const char *layer, const struct tl_nn_opts *opts,
              struct tl_err *err)
{
	struct tl_nn *nn;

	if (layer == NULL || *layer == '\0')
		layer = m->layer;
	if (m->format == TL_MODEL_PIXELS)
		return tl_err_set(err, "%s: raw pixels, no network to load", m->name), NULL;
	if (tl_model_layer_is_input(m, layer))
		return tl_err_set(err, "%s: layer '%s' is the input, no network to run",
		    m->name, layer), NULL;
	if (m->format == TL_MODEL_SCRATCH)
		nn = tl_scratch_build(m->prep.width, TL_SCRATCH_SEED, err);
	else if (m->format == TL_MODEL_TFJS_GRAPH) {
		/* only the cone of the cut is translated */
		const char *to = *layer ? layer : m->ft_to;
		nn = tl_nn_read_tfgraph(m->path, m->input_node, m->prep.height,
		    m->prep.width, &to, *to ? 1 : 0, err);
	} else
		nn = m->format == TL_MODEL_ONNX ? tl_nn_read_onnx(m->path, err)
		                                : tl_nn_read_keras(m->path, err);
	if (nn == NULL)
		return NULL;
	if (*layer && tl_nn_add_output(nn, layer, err) < 0)
		goto fail;
	if (tl_nn_finish(nn, opts, err) < 0) { /* the graph's fault: name the file */
		tl_err_prefix(err, "%s", m->path);
		goto fail;
	}
	if (*layer && tl_nn_set_output(nn, layer, err) < 0)
		goto fail;
	return nn;
fail:
	tl_nn_free(nn);
	return NULL;
}
