/*
 * model.h - a backbone on disk: where it is found, what it is (Keras TF.js
 * layers or ONNX), its identity (sha256), and how images must be prepared for
 * it (size, resize mode, scaling), read from its tl-model.json sidecar.
 *
 * A model.json is a graph model when its "format" says "graph-model", else
 * a Keras layers model.  A graph model is only translated up to the layer
 * it is cut at (features.layer, or finetune.to for the whole list).
 *
 * Lookup of a name (no '/' in it): each directory of $TL_MODEL_PATH (colon
 * separated), then the installed share directory, then ./models; in each,
 * NAME/ (a directory with model.json or model.onnx) or NAME.onnx.  A path
 * (holding '/', or ending in .onnx or .json) is used as given.
 *
 * The sidecar is optional for ONNX: without it a model gets the torchvision
 * defaults (shorter side to 256, centre crop 224, ImageNet mean/std) unless
 * the caller overrides them.
 *
 * "pixels" / "pixels:N" and "scratch" / "scratch:N" are looked up before any
 * directory: a model of that name on disk is shadowed.
 *
 * Ownership: tl_model_open fills a struct tl_model the caller owns (no
 * pointers in it); tl_model_load returns a network the caller frees with
 * tl_nn_free.
 *
 * Not here: running the network (nn/), decoding images (image.h),
 * preparing pixels (prep.h).
 */
#ifndef TL_MODEL_H
#define TL_MODEL_H

#include <limits.h>

#include "backbone/prep.h"
#include "core/err.h"
#include "nn/nn.h"

/* The backbone tl-embed uses without -m: several joined by '+' (the first
 * fine-tuned with --cut, the others' pooled features frozen beside it).
 * Chosen by measurement, see tl-embed(1) MODELS. */
#define TL_DEFAULT_BACKBONE "centernet+mobilenetv2"

enum tl_model_format {
	TL_MODEL_KERAS,           /* TF.js layers model.json ("layers-model") */
	TL_MODEL_ONNX,
	TL_MODEL_TFJS_GRAPH,      /* TF.js graph model.json ("graph-model") */
	TL_MODEL_PIXELS,          /* no network: the prepared image is the
	                           * features (tl_model_is_pixels) */
	TL_MODEL_SCRATCH,         /* the small CNN built in (backbone/scratch.h) */
};

/* The raw-pixel baseline: "pixels" or "pixels:N" (N from 4 to 128, default
 * TL_PIXELS_SIZE) is no file but the image resized (shorter side to N, centre
 * crop; or squashed) to N x N x 3, scaled to [0,1]: name "pixels:N", sha256
 * that of the name, layer "pixels", no sidecar, nothing to fetch. */
#define TL_PIXELS "pixels"
#define TL_PIXELS_SIZE 32

/* The small CNN to train from scratch: "scratch" or "scratch:N" (N from 16
 * to 256, default TL_SCRATCH_SIZE) is no file but backbone/scratch.h's
 * network on N x N x 3 images (shorter side to N, centre crop; ImageNet
 * mean and std): name "scratch:N", sha256 that of the name, feature layer
 * its last Relu, fine-tuning cut its input (the whole network is the tail),
 * no sidecar, nothing to fetch. */
#define TL_SCRATCH "scratch"
#define TL_SCRATCH_SIZE 64

struct tl_model {
	char name[128];           /* "mobilenetv2", or the file's base name */
	char path[PATH_MAX];      /* model.json or the .onnx file (pixels: its name) */
	char dir[PATH_MAX];       /* its directory */
	enum tl_model_format format;
	char sha256[65];          /* hex, of the model's files (see tl_model_open) */
	struct tl_prep prep;      /* from the sidecar or the defaults */
	char layer[512];          /* feature layer; "" = the graph's output */
	int dim;                  /* features' size if the sidecar says, else 0 */
	char ft_from[512];        /* fine-tuning: the cut (maps tl-embed --cut
	                           * gives) and the tail's end; "" when the
	                           * sidecar names none */
	char ft_to[512];
	char input_node[512];     /* TL_MODEL_TFJS_GRAPH: the node whose output
	                           * is the network input (sidecar input.node);
	                           * "" = the graph's only Placeholder */
	int has_sidecar;          /* the preprocessing came from tl-model.json */
};

/* 1 when spec names the raw-pixel baseline ("pixels", "pixels:...", valid or not). */
int tl_model_is_pixels(const char *spec);
/* 1 when spec names the small CNN ("scratch", "scratch:...", valid or not). */
int tl_model_is_scratch(const char *spec);

/* 1 when `layer` of m is its network's input: the prepared image is the
 * map there (the scratch network's cut). */
int tl_model_layer_is_input(const struct tl_model *m, const char *layer);

/* Resolves spec (a name or a path, or the raw-pixel baseline) and reads the
 * model's description and identity: sha256 over the model's files in name
 * order (model.json then its shards; or the .onnx).  Does not load the
 * network.  -1 with err naming what was searched when nothing is found (or
 * why a pixels:N is not one). */
int tl_model_open(const char *spec, struct tl_model *m, struct tl_err *err);

/* Loads the network, finished and cut at `layer` (NULL or "" = m->layer, or
 * the graph's output when that is empty too; a graph model, which has no
 * usable output of its own, falls back on m->ft_to).  NULL with err for
 * pixels, which has none, and for a layer that is the input
 * (tl_model_layer_is_input: no network to run).  Caller frees with tl_nn_free. */
struct tl_nn *tl_model_load(const struct tl_model *m, const char *layer,
                            const struct tl_nn_opts *opts, struct tl_err *err);

#endif
