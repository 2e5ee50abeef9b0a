/*
 * export.h - a trained model (tlm.h) with its backbone(s) as one ONNX graph
 * (tl-classify --export-onnx, tl-train --export-onnx): what tl-classify
 * computes from an image's prepared pixels to "prob", for onnxruntime or
 * any other ONNX runtime.
 *
 * The graph, in the order it runs:
 *   input "image"  float32 [N,H,W,3]: RGB values 0..255 of the image
 *                  resized as the backbone wants (the model's preprocess:
 *                  shorter side to `resize`, centre crop HxW; or squashed
 *                  to HxW), not scaled: the scaling is in the graph
 *   per backbone   x = image * mul + add (its scaling), to [N,3,H,W], the
 *                  network up to the layer the model reads (a fine-tuned
 *                  model: up to the tail's end, the tuned Conv weights in
 *                  place of the backbone's), pooled as the embeddings were
 *                  (avg, max, avgmax; none: flattened in H,W,C order)
 *   several        the parts' vectors concatenated in the model's order
 *   the head       the model's normalisation (l2, sqrt), standardisation,
 *                  linear or MLP layer(s), the temperature folded into the
 *                  last layer's weights and bias (logits / T)
 *   output "prob"  float32 [N,K]: Softmax, in the order of the model's
 *                  classes (metadata_props "classes", a JSON array)
 * Not in the graph: decoding and resizing (the caller's: libvips, PIL,
 * sharp ...), the OOD score and rejection (tl-classify's "ood", "pred"
 * "unknown").
 *
 * Ownership: nothing kept; the caller owns info.  Nothing prints.
 */
#ifndef TL_EXPORT_H
#define TL_EXPORT_H

#include <stddef.h>

#include "core/err.h"

struct tl_export_info {
	int width, height;      /* the input image: [N,height,width,3] */
	char resize[128];       /* "shorter side to 256, centre crop 224x224" */
	int nclass;             /* K, the output's size */
};

/* Writes model (a .tlm file) as ONNX to out, atomically; backbone: NULL
 * for the model's own by name (model.h lookup), else a name or path ('+'
 * between several), as tl-classify --backbone.  info may be NULL.
 * 0, or -1 with err: the model unreadable ("PATH: reason", tlm.h), a
 * backbone missing or not the one the model was trained on, the raw-pixel
 * baseline ("MODEL: backbone pixels:32 is raw pixels, not a network: ..."),
 * backbones that prepare images differently, an operator with no ONNX
 * equivalent (onnxw.h), out unwritable ("OUT: reason"). */
int tl_export_onnx(const char *model, const char *backbone, const char *out,
                   struct tl_export_info *info, struct tl_err *err);

#endif
