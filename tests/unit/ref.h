/*
 * ref.h - reading the reference data the PyTorch scripts in tests/nn/ write
 * (raw little-endian float32 files) for the unit tests that compare against
 * them.
 */
#ifndef TL_TEST_REF_H
#define TL_TEST_REF_H
#include <stdio.h>
#include <stdlib.h>

/* Exactly n floats from path (a longer or shorter file is NULL); free(). */
static float *
load_f32(const char *path, size_t n)
{
	FILE *f = fopen(path, "rb");
	float *v = malloc(n * sizeof *v);

	if (f == NULL || v == NULL || fread(v, sizeof *v, n, f) != n || fgetc(f) != EOF) {
		free(v);
		v = NULL;
	}
	if (f)
		fclose(f);
	return v;
}

/* [n,c,h,w] -> [n,h,w,c] */
static void
to_nhwc(const float *s, float *d, int n, int c, int h, int w)
{
	for (int a = 0; a < n; a++)
		for (int k = 0; k < c; k++)
			for (int y = 0; y < h; y++)
				for (int x = 0; x < w; x++)
					d[((a * h + y) * w + x) * c + k] =
					    s[((a * c + k) * h + y) * w + x];
}
#endif
