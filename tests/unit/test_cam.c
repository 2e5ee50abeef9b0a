/*
 * test_cam.c - lib/cam: on a synthetic [h,w,C] feature map with class-k
 * evidence in one corner and a linear head, the CAM of k peaks in that corner
 * (and the other class's elsewhere); the mean of the CAM plus the bias is the
 * head's logit on the average-pooled, normalised, standardised features; min-max
 * normalisation; the jet colour map's ends; the region a centre crop saw;
 * the overlay's blend inside and darkening outside the region.
 */
#include <math.h>
#include <stdlib.h>

#include "classify/cam.h"
#include "t.h"

enum { H = 7, W = 5, C = 4, K = 2 };

/* map [H*W, C]: background noise-free pattern; class 0 evidence (channels 0
 * and 1) in the top-left 2x2 corner, class 1 evidence (channel 2) at (5,3). */
static void
make_map(float *map)
{
	for (int i = 0; i < H * W; i++)
		for (int c = 0; c < C; c++)
			map[i * C + c] = 1.0f + 0.1f * (float)((i * 7 + c * 3) % 5);
	for (int y = 0; y < 2; y++)
		for (int x = 0; x < 2; x++) {
			map[(y * W + x) * C + 0] += 3;
			map[(y * W + x) * C + 1] += 2;
		}
	map[(5 * W + 3) * C + 2] += 6;
}

static int
argmax(const float *v, int n)
{
	int b = 0;
	for (int i = 1; i < n; i++)
		if (v[i] > v[b])
			b = i;
	return b;
}

static void
test_peak(void)
{
	/* head: class 0 likes channels 0,1; class 1 likes channel 2; both dislike 3 */
	static const float wt[K][C] = { { 1.0f, 0.5f, -0.2f, -0.3f }, { -0.4f, 0.1f, 1.2f, -0.3f } };
	static const float bias[K] = { 0.25f, -0.5f };
	float mean[C] = { 1.2f, 1.1f, 0.9f, 1.0f }, sc[C] = { 0.5f, 2.0f, 0.75f, 0.0f }, gain[C] = { 0.5f, 0.5f, 0.5f, 0.5f };
	float map[H * W * C], cam[H * W], pooled[C] = { 0 };
	unsigned char u[H * W];

	make_map(map);
	tl_cam_compute(map, H * W, C, wt[0], NULL, mean, sc, cam);
	int p = argmax(cam, H * W);
	T_OK("cam: class 0 peaks in the top-left corner", p / W < 2 && p % W < 2);
	tl_cam_to_u8(cam, H * W, u);
	T_EQ_INT("cam: u8 maximum is 255 at the peak", u[p], 255);
	int lo = 0;
	for (int i = 0; i < H * W; i++)
		if (u[i] < u[lo])
			lo = i;
	T_EQ_INT("cam: u8 minimum is 0", u[lo], 0);

	tl_cam_compute(map, H * W, C, wt[1], NULL, mean, sc, cam);
	T_EQ_INT("cam: class 1 peaks at (5,3)", argmax(cam, H * W), 5 * W + 3);

	/* exactness: mean(cam_k) + b_k == W_k . (gain * avgpool(map) - mean) * scale + b_k
	 * (gain: an L2 normalisation's 1/|pooled|, a constant of the image) */
	for (int i = 0; i < H * W; i++)
		for (int c = 0; c < C; c++)
			pooled[c] += map[i * C + c] / (H * W);
	for (int k = 0; k < K; k++) {
		double logit = bias[k], m = 0;
		for (int c = 0; c < C; c++)
			logit += wt[k][c] * (gain[c] * pooled[c] - mean[c]) * sc[c];
		tl_cam_compute(map, H * W, C, wt[k], gain, mean, sc, cam);
		for (int i = 0; i < H * W; i++)
			m += cam[i] / (H * W);
		T_NEAR(k ? "cam: mean + bias = logit (class 1)" : "cam: mean + bias = logit (class 0)",
		    m + bias[k], logit, 1e-5, 1e-5);
	}
	/* without standardisation it is the plain weighted sum */
	tl_cam_compute(map, 1, C, wt[0], NULL, NULL, NULL, cam);
	T_NEAR("cam: no standardisation", cam[0],
	    wt[0][0] * map[0] + wt[0][1] * map[1] + wt[0][2] * map[2] + wt[0][3] * map[3], 1e-6, 1e-6);
}

static void
test_u8(void)
{
	float flat[3] = { 2, 2, 2 }, x[3] = { -1, 0, 1 }, nan3[3] = { 0, NAN, 1 };
	unsigned char u[3];

	tl_cam_to_u8(flat, 3, u);
	T_OK("cam: a flat map is all 0", u[0] == 0 && u[1] == 0 && u[2] == 0);
	tl_cam_to_u8(x, 3, u);
	T_OK("cam: min-max to 0..255, rounded", u[0] == 0 && u[1] == 128 && u[2] == 255);
	tl_cam_to_u8(nan3, 3, u);
	T_OK("cam: a NaN gives all 0", u[0] == 0 && u[1] == 0 && u[2] == 0);
}

static void
test_colour(void)
{
	unsigned char lo[3], hi[3], mid[3];

	tl_cam_colour(0, lo);
	tl_cam_colour(255, hi);
	tl_cam_colour(128, mid);
	T_OK("cam: jet 0 is dark blue", lo[0] == 0 && lo[1] == 0 && lo[2] == 128);
	T_OK("cam: jet 255 is dark red", hi[0] == 128 && hi[1] == 0 && hi[2] == 0);
	T_OK("cam: jet 128 is green-dominated", mid[1] == 255 && mid[0] < 200 && mid[2] < 200);
}

static void
test_region_overlay(void)
{
	struct tl_prep p = { .width = 224, .height = 224, .mode = TL_RESIZE_CROP, .resize = 256 };
	struct tl_cam_region r;
	enum { IW = 16, IH = 8 };
	unsigned char pix[IH * IW * 3], out[IH * IW * 3], cam[4] = { 0, 255, 0, 255 }, c[3];

	tl_cam_region(&p, 512, 256, &r);
	T_NEAR("cam: crop region width (224/256 of the shorter side)", r.rw, 224, 1e-9, 0);
	T_NEAR("cam: crop region x0 centred", r.x0, (512 - 224) / 2.0, 1e-9, 0);
	T_NEAR("cam: crop region y0", r.y0, 16, 1e-9, 0);
	p.mode = TL_RESIZE_SQUASH;
	tl_cam_region(&p, 512, 256, &r);
	T_OK("cam: squash sees the whole image", r.x0 == 0 && r.y0 == 0 && r.rw == 512 && r.rh == 256);

	for (int i = 0; i < IH * IW * 3; i++)
		pix[i] = 200;
	r = (struct tl_cam_region){ 4, 0, 8, 8 };
	/* cam [2,2]: left column 0, right column 255 */
	tl_cam_overlay(pix, IW, IH, cam, 2, 2, &r, out);
	T_EQ_INT("cam: outside the region darkened", out[0], 100);
	tl_cam_colour(255, c);
	T_EQ_INT("cam: right edge of the region is the hot colour blended",
	    out[3 * (IW * 4 + 11)], (200 + c[0] + 1) / 2);
	tl_cam_colour(0, c);
	T_EQ_INT("cam: left edge of the region is the cold colour blended",
	    out[3 * (IW * 4 + 4) + 2], (200 + c[2] + 1) / 2);
}

int
main(void)
{
	test_peak();
	test_u8();
	test_colour();
	test_region_overlay();
	T_DONE();
}
