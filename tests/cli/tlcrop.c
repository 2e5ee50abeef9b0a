/*
 * tlcrop - the input an exported ONNX model (tl-classify --export-onnx)
 * wants, for tests/cli/onnx.sh: each image record of a stream on stdin
 * decoded and resized as backbone NAME prepares it (tl_prep_crop, at the
 * decoding size tl-embed uses), written to stdout as float32 RGB values
 * 0..255, [n,H,W,3]; the records' ids to the file IDS, one a line.
 * Usage: tlcrop NAME IDS [SIZE] < stream > crops.f32; SIZE: a network
 * without a sidecar whose graph fixes SIZExSIZE (resized to SIZE*8/7 first,
 * as tl-embed does).  Built by the tests.
 */
#include <stdio.h>
#include <stdlib.h>

#include "backbone/model.h"
#include "backbone/prep.h"
#include "core/rec.h"
#include "data/image.h"
#include "stream/stream.h"

int
main(int argc, char **argv)
{
	struct tl_image_opts io = { 0 };
	struct tl_reader *rd;
	struct tl_model m;
	struct tl_rec *rec = tl_rec_new();
	struct tl_err err;
	unsigned char *crop;
	float *f;
	FILE *ids;
	size_t n;
	int r;

	if (argc != 3 && argc != 4) {
		fprintf(stderr, "usage: tlcrop NAME IDS [SIZE] < stream > crops.f32\n");
		return 2;
	}
	if (tl_image_init(&err) < 0 || tl_model_open(argv[1], &m, &err) < 0 ||
	    (rd = tl_reader_open(NULL, 0, &err)) == NULL) {
		fprintf(stderr, "tlcrop: %s\n", err.msg);
		return 1;
	}
	if ((ids = fopen(argv[2], "w")) == NULL) {
		perror(argv[2]);
		return 1;
	}
	if (argc == 4) {
		m.prep.width = m.prep.height = atoi(argv[3]);
		m.prep.resize = m.prep.width * 8 / 7;
	}
	n = (size_t)m.prep.width * m.prep.height * 3;
	crop = malloc(n);
	f = malloc(n * sizeof *f);
	io.min_side = tl_prep_min_side(&m.prep);
	while ((r = tl_reader_next(rd, rec, &err)) > 0) {
		const msgpack_object *img = tl_rec_get(rec, "img");
		struct tl_image im = { 0 };
		if (img == NULL || img->type != MSGPACK_OBJECT_BIN ||
		    tl_image_decode(img->via.bin.ptr, img->via.bin.size, &io, &im, &err) < 0 ||
		    tl_prep_crop(&m.prep, im.pix, im.width, im.height, crop, &err) < 0) {
			fprintf(stderr, "tlcrop: %s: %s\n", tl_rec_str(rec, "id"), err.msg);
			return 1;
		}
		for (size_t i = 0; i < n; i++)
			f[i] = crop[i];
		fwrite(f, sizeof *f, n, stdout);
		fprintf(ids, "%s\n", tl_rec_str(rec, "id"));
		tl_image_free(&im);
	}
	if (r < 0) {
		fprintf(stderr, "tlcrop: %s\n", err.msg);
		return 1;
	}
	fclose(ids);
	free(crop);
	free(f);
	tl_rec_free(rec);
	tl_reader_close(rd);
	return 0;
}
