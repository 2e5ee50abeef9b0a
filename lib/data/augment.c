/*
 * augment.c - random variants of a picture with libvips (augment.h).
 *
 * Geometry is one resampling chain per variant: flip the source (exact),
 * scale it so that the crop rectangle becomes N x N (vips_resize, which
 * filters when shrinking), then either cut that square out (no rotation, no
 * zoom: an exact copy) or pull the output square through one affine map
 * (rotation about the square's centre and zoom) from the scaled source
 * embedded in its own mirror image, so that pixels beyond the border are
 * reflections, never black.  The geometric result is held in memory, then
 * colour (vips_linear for brightness and contrast, LCh for saturation and
 * hue), blur, noise, rounding to 8 bits, and cutout (zeroed pixels, done in
 * C on the output) follow.
 *
 * Deliberately not here: perspective and elastic warps, colour jitter in
 * other spaces, mixing two pictures (mixup, cutmix).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <vips/vips.h>

#include "core/rng.h"
#include "core/tensor.h"
#include "data/augment.h"
#include "stream/stream.h"

static const struct {
	const char *name;
	int flip;
	double rotate, zoom_min, zoom_max, crop_min, crop_max, ratio_min, ratio_max;
	double brightness, contrast, saturation, hue, blur, blur_prob, noise, cutout;
} presets[] = {
	{ "none", 0, 0, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0 },
	{ "light", TL_FLIP_H, 5, 1, 1.1, 1, 1, 1, 1, 0.1, 0.1, 0.1, 0, 0, 0, 0, 0 },
	{ "medium", TL_FLIP_H, 10, 0.9, 1.2, 0.6, 1, 3.0 / 4, 4.0 / 3, 0.2, 0.2, 0.2, 5,
	  1, 0.2, 0, 0 },
	{ "heavy", TL_FLIP_H, 20, 0.8, 1.3, 0.35, 1, 3.0 / 4, 4.0 / 3, 0.3, 0.3, 0.4, 15,
	  2, 0.3, 8, 0.12 },
};

int
tl_aug_preset(struct tl_aug_opts *o, const char *name)
{
	for (size_t i = 0; i < sizeof presets / sizeof presets[0]; i++) {
		if (strcmp(name, presets[i].name) != 0)
			continue;
		o->flip = presets[i].flip;
		o->rotate = presets[i].rotate;
		o->fill = TL_FILL_REFLECT;
		o->zoom_min = presets[i].zoom_min;
		o->zoom_max = presets[i].zoom_max;
		o->crop_min = presets[i].crop_min;
		o->crop_max = presets[i].crop_max;
		o->ratio_min = presets[i].ratio_min;
		o->ratio_max = presets[i].ratio_max;
		o->brightness = presets[i].brightness;
		o->contrast = presets[i].contrast;
		o->saturation = presets[i].saturation;
		o->hue = presets[i].hue;
		o->blur = presets[i].blur;
		o->blur_prob = presets[i].blur_prob;
		o->noise = presets[i].noise;
		o->cutout = presets[i].cutout;
		return 0;
	}
	return -1;
}

void
tl_aug_identity(struct tl_aug_params *p, int w, int h)
{
	int s = w < h ? w : h;

	memset(p, 0, sizeof *p);
	p->src_w = w;
	p->src_h = h;
	p->cw = p->ch = s;
	p->cx = (w - s) / 2;
	p->cy = (h - s) / 2;
	p->zoom = p->bright = p->contrast = p->sat = 1;
}

/* x rounded to steps of 1/q; -0 made 0 so that it prints as "0". */
static double
quant(double x, double q)
{
	double r = round(x * q) / q;

	return r == 0 ? 0 : r;
}

/* factor uniform in [1-x, 1+x], 0.01 steps; always one draw */
static double
jitter(struct tl_rng *r, double x)
{
	double u = tl_rng_range(r, -x, x);

	return x > 0 ? 1 + quant(u, 100) : 1;
}

static void
draw_crop(const struct tl_aug_opts *o, struct tl_rng *r, int w, int h,
          struct tl_aug_params *p)
{
	double area = (double)w * h, lr0 = log(o->ratio_min), lr1 = log(o->ratio_max);

	/* torchvision's RandomResizedCrop: ten tries, then the whole picture
	 * with its aspect ratio brought into range */
	for (int i = 0; i < 10; i++) {
		double s = tl_rng_range(r, o->crop_min, o->crop_max);
		double ar = exp(tl_rng_range(r, lr0, lr1));
		double ux = tl_rng_unit(r), uy = tl_rng_unit(r);
		int cw = (int)lround(sqrt(s * area * ar)), ch = (int)lround(sqrt(s * area / ar));

		if (cw >= 1 && ch >= 1 && cw <= w && ch <= h) {
			p->crop = 1;
			p->cw = cw;
			p->ch = ch;
			p->cx = (int)floor(ux * (w - cw + 1));
			p->cy = (int)floor(uy * (h - ch + 1));
			return;
		}
	}
	p->crop = 1;
	p->cw = w;
	p->ch = h;
	if ((double)w / h < o->ratio_min)
		p->ch = (int)lround(w / o->ratio_min);
	else if ((double)w / h > o->ratio_max)
		p->cw = (int)lround(h * o->ratio_max);
	p->cw = p->cw < 1 ? 1 : p->cw > w ? w : p->cw;
	p->ch = p->ch < 1 ? 1 : p->ch > h ? h : p->ch;
	p->cx = (w - p->cw) / 2;
	p->cy = (h - p->ch) / 2;
}

void
tl_aug_draw(const struct tl_aug_opts *o, int w, int h, const char *id, uint64_t k,
            struct tl_aug_params *p)
{
	struct tl_rng r;
	double u, s, zmin;

	tl_rng_seed_id(&r, o->seed, id, k);
	tl_aug_identity(p, w, h);
	if (o->crop_min < 1 || o->crop_max < 1)
		draw_crop(o, &r, w, h, p);
	u = tl_rng_unit(&r);
	if ((o->flip & TL_FLIP_H) && u < 0.5)
		p->flip |= TL_FLIP_H;
	u = tl_rng_unit(&r);
	if ((o->flip & TL_FLIP_V) && u < 0.5)
		p->flip |= TL_FLIP_V;
	u = tl_rng_range(&r, -o->rotate, o->rotate);
	p->rot = o->rotate > 0 ? quant(u, 10) : 0;
	u = exp(tl_rng_range(&r, log(o->zoom_min), log(o->zoom_max)));
	p->zoom = quant(u, 100);
	/* the zoom-out guard: the part kept must keep min_size source pixels */
	s = p->cw < p->ch ? p->cw : p->ch;
	if (p->zoom < 1 && s * p->zoom < o->min_size)
		p->zoom = s <= o->min_size ? 1 : fmin(1, ceil(100 * o->min_size / s) / 100);
	if (o->fill == TL_FILL_CROP) {
		/* a square turned by rot covers the output square once zoomed
		 * by |cos| + |sin| */
		double t = p->rot * M_PI / 180;

		zmin = ceil(100 * (fabs(cos(t)) + fabs(sin(t))) - 1e-6) / 100;
		if (p->zoom < zmin)
			p->zoom = zmin;
	}
	p->bright = jitter(&r, o->brightness);
	p->contrast = jitter(&r, o->contrast);
	p->sat = jitter(&r, o->saturation);
	u = tl_rng_range(&r, -o->hue, o->hue);
	p->hue = o->hue > 0 ? quant(u, 10) : 0;
	u = tl_rng_unit(&r);
	s = quant(tl_rng_range(&r, 0, o->blur), 100);
	p->blur = o->blur > 0 && u < o->blur_prob ? s : 0;
	s = quant(tl_rng_range(&r, 0, o->noise), 10);
	p->noise = o->noise > 0 ? s : 0;
	p->noise_seed = (int)(tl_rng_u64(&r) >> 33);
	if (o->cutout > 0) {
		int side = (int)lround(sqrt(o->cutout) * o->size);

		side = side > o->size ? o->size : side;
		p->cut = side > 0;
		p->cut_w = p->cut_h = side;
		p->cut_x = (int)floor(tl_rng_unit(&r) * (o->size - side + 1));
		p->cut_y = (int)floor(tl_rng_unit(&r) * (o->size - side + 1));
	}
}

size_t
tl_aug_describe(const struct tl_aug_params *p, char *buf, size_t len)
{
	size_t n = 0;

#define ADD(...) do { \
		int m_ = snprintf(buf + (n < len ? n : len), n < len ? len - n : 0, \
		                  "%s", n ? "," : ""); \
		n += m_; \
		m_ = snprintf(buf + (n < len ? n : len), n < len ? len - n : 0, __VA_ARGS__); \
		n += m_; \
	} while (0)
	if (len > 0)
		buf[0] = '\0';
	if (p->crop)
		ADD("crop=%dx%d@(%d,%d)", p->cw, p->ch, p->cx, p->cy);
	if (p->flip & TL_FLIP_H)
		ADD("flip");
	if (p->flip & TL_FLIP_V)
		ADD("vflip");
	if (p->rot != 0)
		ADD("rot=%.1f", p->rot);
	if (p->zoom != 1)
		ADD("zoom=%.2f", p->zoom);
	if (p->bright != 1)
		ADD("bright=%.2f", p->bright);
	if (p->contrast != 1)
		ADD("contrast=%.2f", p->contrast);
	if (p->sat != 1)
		ADD("sat=%.2f", p->sat);
	if (p->hue != 0)
		ADD("hue=%.1f", p->hue);
	if (p->blur != 0)
		ADD("blur=%.2f", p->blur);
	if (p->noise != 0)
		ADD("noise=%.1f", p->noise);
	if (p->cut)
		ADD("cutout=%dx%d@(%d,%d)", p->cut_w, p->cut_h, p->cut_x, p->cut_y);
#undef ADD
	return n;
}

static int
vips_fail(struct tl_err *err, const char *what)
{
	char msg[512], *nl;

	snprintf(msg, sizeof msg, "%s", vips_error_buffer());
	vips_error_clear();
	if ((nl = strchr(msg, '\n')) != NULL)
		*nl = '\0';
	return tl_err_set(err, "%s: %s", what, *msg ? msg : "libvips failed");
}

/* Geometry: src -> *out, size x size, held in memory.  Intermediates hang
 * off ctx.  0 or -1 (libvips error). */
static int
geometry(VipsObject *ctx, const struct tl_aug_params *p, int size, VipsImage *src,
         VipsImage **out)
{
	VipsImage **t = (VipsImage **)vips_object_local_array(ctx, 8);
	VipsImage *x = src;
	double fx = (double)src->Xsize / p->src_w, fy = (double)src->Ysize / p->src_h;
	double X = p->cx * fx, Y = p->cy * fy, W = p->cw * fx, H = p->ch * fy, sx, sy;

	if (p->flip & TL_FLIP_H) {
		if (vips_flip(x, &t[0], VIPS_DIRECTION_HORIZONTAL, NULL) != 0)
			return -1;
		x = t[0];
		X = x->Xsize - X - W;
	}
	if (p->flip & TL_FLIP_V) {
		if (vips_flip(x, &t[1], VIPS_DIRECTION_VERTICAL, NULL) != 0)
			return -1;
		x = t[1];
		Y = x->Ysize - Y - H;
	}
	sx = size / W;
	sy = size / H;
	if (fabs(sx - 1) > 1e-9 || fabs(sy - 1) > 1e-9) {
		double w0 = x->Xsize, h0 = x->Ysize;

		if (vips_resize(x, &t[2], sx, "vscale", sy, NULL) != 0)
			return -1;
		x = t[2];
		X *= x->Xsize / w0; /* the size libvips rounded to */
		Y *= x->Ysize / h0;
	}
	if (p->rot == 0 && p->zoom == 1) {
		/* an exact copy of the square; a margin of 2 absorbs rounding */
		int ix = (int)lround(X) + 2, iy = (int)lround(Y) + 2;

		if (vips_embed(x, &t[3], 2, 2, x->Xsize + 4, x->Ysize + 4, "extend",
		               VIPS_EXTEND_MIRROR, NULL) != 0)
			return -1;
		x = t[3];
		ix = ix < 0 ? 0 : ix > x->Xsize - size ? x->Xsize - size : ix;
		iy = iy < 0 ? 0 : iy > x->Ysize - size ? x->Ysize - size : iy;
		if (ix < 0 || iy < 0 || vips_extract_area(x, &t[4], ix, iy, size, size, NULL) != 0)
			return -1;
		x = t[4];
	} else {
		/* out - c_out = z R (in - c_in) with pixel indices as centres, R
		 * counter-clockwise on screen (y down): [cos sin; -sin cos] */
		double th = p->rot * M_PI / 180, c = cos(th), s = sin(th), z = p->zoom;
		double a = z * c, b = z * s, cc = -z * s, d = z * c, h = (size - 1) / 2.0;
		int m = (int)ceil(size / 2.0 * (fabs(c) + fabs(s)) / z) + 4;
		double cxi = X + m + h, cyi = Y + m + h;
		VipsArrayInt *area;
		int r;

		if (vips_embed(x, &t[3], m, m, x->Xsize + 2 * m, x->Ysize + 2 * m, "extend",
		               VIPS_EXTEND_MIRROR, NULL) != 0)
			return -1;
		x = t[3];
		area = vips_array_int_newv(4, 0, 0, size, size);
		r = vips_affine(x, &t[4], a, b, cc, d, "oarea", area,
		                "odx", h - (a * cxi + b * cyi), "ody", h - (cc * cxi + d * cyi),
		                "interpolate", vips_interpolate_bilinear_static(), NULL);
		vips_area_unref(VIPS_AREA(area));
		if (r != 0)
			return -1;
		x = t[4];
	}
	if ((t[5] = vips_image_copy_memory(x)) == NULL)
		return -1;
	*out = t[5];
	return 0;
}

/* Colour, blur, noise, back to 8 bits: in (memory, u8) -> *out. */
static int
photometric(VipsObject *ctx, const struct tl_aug_params *p, VipsImage *in, VipsImage **out)
{
	VipsImage **t = (VipsImage **)vips_object_local_array(ctx, 12);
	VipsImage *x = in;

	if (p->bright != 1 || p->contrast != 1) {
		/* contrast about the mean of the brightened picture */
		double mean;

		if (vips_avg(x, &mean, NULL) != 0 ||
		    vips_linear1(x, &t[0], p->contrast * p->bright,
		                 (1 - p->contrast) * p->bright * mean, NULL) != 0)
			return -1;
		x = t[0];
	}
	if (p->sat != 1 || p->hue != 0) {
		/* LCh's C times sat and h plus hue is, in Lab, the (a, b) plane
		 * turned and scaled: one matrix, no atan2 and sincos per pixel */
		double h = p->hue * M_PI / 180, c = p->sat * cos(h), s = p->sat * sin(h);
		VipsImage *m = vips_image_new_matrixv(3, 3, 1.0, 0.0, 0.0, 0.0, c, -s, 0.0, s, c);

		if (m == NULL)
			return -1;
		vips_object_local(ctx, m);
		if (vips_colourspace(x, &t[1], VIPS_INTERPRETATION_LAB, "source_space",
		                     VIPS_INTERPRETATION_sRGB, NULL) != 0 ||
		    vips_recomb(t[1], &t[2], m, NULL) != 0 ||
		    vips_colourspace(t[2], &t[3], VIPS_INTERPRETATION_sRGB, "source_space",
		                     VIPS_INTERPRETATION_LAB, NULL) != 0)
			return -1;
		x = t[3];
	}
	if (p->blur > 0) {
		if (vips_gaussblur(x, &t[4], p->blur, NULL) != 0)
			return -1;
		x = t[4];
	}
	if (p->noise > 0) {
		VipsImage *n[3];

		for (int i = 0; i < 3; i++) {
			if (vips_gaussnoise(&n[i], in->Xsize, in->Ysize, "sigma", p->noise,
			                    "mean", 0.0, "seed", p->noise_seed + i, NULL) != 0)
				return -1;
			vips_object_local(ctx, n[i]);
		}
		if (vips_bandjoin(n, &t[5], 3, NULL) != 0 || vips_add(x, t[5], &t[6], NULL) != 0)
			return -1;
		x = t[6];
	}
	if (vips_image_get_format(x) != VIPS_FORMAT_UCHAR) {
		/* round to nearest: vips_cast truncates (and clips) */
		if (vips_linear1(x, &t[7], 1.0, 0.5, NULL) != 0 ||
		    vips_cast(t[7], &t[8], VIPS_FORMAT_UCHAR, NULL) != 0)
			return -1;
		x = t[8];
	}
	if (x->Bands != 3)
		return -1;
	*out = x;
	return 0;
}

int
tl_aug_apply(const struct tl_aug_params *p, int size, const struct tl_image *src,
             struct tl_image *out, struct tl_err *err)
{
	VipsObject *ctx;
	VipsImage *in, *g, *x;
	size_t n;
	void *mem;

	out->pix = NULL;
	if (size < 1 || size > 65536)
		return tl_err_set(err, "bad output size %d", size);
	if (src->pix == NULL || src->width < 1 || src->height < 1 || p->src_w < 1 ||
	    p->src_h < 1 || p->cw < 1 || p->ch < 1 || p->cx < 0 || p->cy < 0 ||
	    p->cx + p->cw > p->src_w || p->cy + p->ch > p->src_h || !(p->zoom > 0))
		return tl_err_set(err, "bad augmentation parameters");
	in = vips_image_new_from_memory(src->pix, (size_t)src->width * src->height * 3,
	                                src->width, src->height, 3, VIPS_FORMAT_UCHAR);
	if (in == NULL)
		return vips_fail(err, "cannot augment");
	ctx = VIPS_OBJECT(vips_image_new());
	vips_object_local(ctx, in);
	if (geometry(ctx, p, size, in, &g) != 0 || photometric(ctx, p, g, &x) != 0 ||
	    (mem = vips_image_write_to_memory(x, &n)) == NULL) {
		g_object_unref(ctx);
		return vips_fail(err, "cannot augment");
	}
	g_object_unref(ctx);
	if (n != (size_t)size * size * 3) {
		free(mem);
		return tl_err_set(err, "cannot augment: got %zu bytes", n);
	}
	if (p->cut) { /* clipped to the output, in case p came from elsewhere */
		int x0 = p->cut_x < 0 ? 0 : p->cut_x, y0 = p->cut_y < 0 ? 0 : p->cut_y;
		int x1 = p->cut_x + p->cut_w, y1 = p->cut_y + p->cut_h;

		x1 = x1 > size ? size : x1;
		y1 = y1 > size ? size : y1;
		for (int y = y0; y < y1 && x0 < x1; y++)
			memset((unsigned char *)mem + ((size_t)y * size + x0) * 3, 0,
			       (size_t)(x1 - x0) * 3);
	}
	out->width = out->height = size;
	out->pix = mem; /* g_malloc is malloc (GLib >= 2.46) */
	return 0;
}

/* --- records ---------------------------------------------------------------- */

struct tl_augmenter {
	struct tl_aug_opts o;
	struct tl_image pic; /* the loaded picture, maybe shrunk on load */
	int w, h;            /* its full size, which draws are made in */
	char id[4096];
};

struct tl_augmenter *
tl_augmenter_new(const struct tl_aug_opts *o, struct tl_err *err)
{
	struct tl_augmenter *a;

	if (o->size < 1 || o->size > 16384)
		return tl_err_set(err, "bad size %d", o->size), NULL;
	if (!(o->zoom_min > 0 && o->zoom_min <= o->zoom_max) ||
	    !(o->crop_min > 0 && o->crop_min <= o->crop_max && o->crop_max <= 1) ||
	    !(o->ratio_min > 0 && o->ratio_min <= o->ratio_max))
		return tl_err_set(err, "bad zoom, crop scale or crop ratio range"), NULL;
	if ((a = calloc(1, sizeof *a)) == NULL)
		return tl_err_set(err, "out of memory"), NULL;
	a->o = *o;
	return a;
}

void
tl_augmenter_free(struct tl_augmenter *a)
{
	if (a == NULL)
		return;
	tl_image_free(&a->pic);
	free(a);
}

/* The shorter side a picture needs for the largest zoom and smallest crop
 * to draw on source pixels, not enlarged ones. */
static double
needed_side(const struct tl_aug_opts *o)
{
	double z = o->zoom_max > 1 ? o->zoom_max : 1;
	double r = fmax(o->ratio_max, 1 / o->ratio_min);

	if (o->fill == TL_FILL_CROP)
		z *= fmin(sqrt(2), fabs(cos(o->rotate * M_PI / 180)) +
		          fabs(sin(fmin(o->rotate, 45) * M_PI / 180)));
	return o->size * z * sqrt(r) / sqrt(o->crop_min);
}

/* tl_augmenter_load of a "pix": TL_OK, TL_SKIP or TL_NOMEM. */
static int
load_pix(struct tl_augmenter *a, const struct tl_rec *in, struct tl_err *err)
{
	struct tl_tensor t;
	size_t n;

	if (tl_rec_tensor(in, "pix", &t, err) != 0)
		return TL_SKIP;
	if (t.dtype != TL_U8 || t.ndim != 3 || t.shape[2] != 3 || t.shape[0] < 1 ||
	    t.shape[1] < 1 || t.shape[0] > 65536 || t.shape[1] > 65536)
		return tl_err_set(err, "pix is not |u1 [H,W,3]"), TL_SKIP;
	n = (size_t)t.count;
	if ((a->pic.pix = malloc(n)) == NULL)
		return tl_err_set(err, "out of memory"), TL_NOMEM;
	memcpy(a->pic.pix, t.data, n);
	a->pic.width = a->w = (int)t.shape[1];
	a->pic.height = a->h = (int)t.shape[0];
	return TL_OK;
}

int
tl_augmenter_load(struct tl_augmenter *a, const struct tl_rec *in, struct tl_err *err)
{
	const msgpack_object *id = tl_rec_get(in, "id"), *img;
	double need;
	int lo, hi, r;

	tl_image_free(&a->pic);
	if (id == NULL || id->type != MSGPACK_OBJECT_STR || id->via.str.size == 0)
		return tl_err_set(err, "no id"), TL_SKIP;
	if (id->via.str.size >= sizeof a->id)
		return tl_err_set(err, "id longer than %zu bytes", sizeof a->id - 1), TL_SKIP;
	memcpy(a->id, id->via.str.ptr, id->via.str.size);
	a->id[id->via.str.size] = '\0';
	if (tl_rec_get(in, "pix") != NULL)
		return load_pix(a, in, err);
	if ((img = tl_rec_get(in, "img")) == NULL)
		return tl_err_set(err, "no img or pix"), TL_SKIP;
	if (img->type != MSGPACK_OBJECT_BIN)
		return tl_err_set(err, "img is not binary"), TL_SKIP;
	if (tl_image_probe(img->via.bin.ptr, img->via.bin.size, &a->o.image, &a->w, &a->h,
	                   NULL, err) != 0)
		return TL_SKIP;
	lo = a->w < a->h ? a->w : a->h;
	hi = a->w < a->h ? a->h : a->w;
	need = needed_side(&a->o);
	if (lo > 1.25 * need) /* shrink on load: longer side so the shorter is need */
		r = tl_image_thumbnail(img->via.bin.ptr, img->via.bin.size, &a->o.image,
		                       (int)ceil(need * hi / lo), TL_FIT, &a->pic, NULL, err);
	else
		r = tl_image_decode(img->via.bin.ptr, img->via.bin.size, &a->o.image, &a->pic, err);
	return r != 0 ? TL_SKIP : TL_OK;
}

int
tl_augmenter_make(struct tl_augmenter *a, const struct tl_rec *in, uint64_t k,
                  struct tl_rec *out, struct tl_err *err)
{
	struct tl_aug_params p;
	struct tl_image im;
	char desc[512], id[4200];
	uint64_t shape[3];
	void *data;

	if (a->pic.pix == NULL)
		return tl_err_set(err, "no picture loaded"), TL_SKIP;
	if (k == 0)
		tl_aug_identity(&p, a->w, a->h);
	else
		tl_aug_draw(&a->o, a->w, a->h, a->id, k, &p);
	tl_aug_describe(&p, desc, sizeof desc);
	if (tl_aug_apply(&p, a->o.size, &a->pic, &im, err) != 0)
		return TL_SKIP;
	shape[0] = shape[1] = (uint64_t)a->o.size;
	shape[2] = 3;
	if (tl_rec_copy(out, in) != 0)
		goto oom;
	tl_rec_del(out, "img");
	if (k > 0) {
		tl_rec_del(out, "sha256");
		tl_rec_del(out, "phash");
		snprintf(id, sizeof id, "%s#aug%llu", a->id, (unsigned long long)k);
		if (tl_rec_set_str(out, "id", id) != 0 || tl_rec_set_str(out, "of", a->id) != 0)
			goto oom;
	}
	if (tl_rec_set_str(out, "aug", desc) != 0 ||
	    (data = tl_rec_set_tensor(out, "pix", TL_U8, 3, shape)) == NULL)
		goto oom;
	memcpy(data, im.pix, (size_t)a->o.size * a->o.size * 3);
	tl_image_free(&im);
	return TL_OK;
oom:
	tl_image_free(&im);
	return tl_err_set(err, "out of memory"), TL_NOMEM;
}

/* n * per, or -1 when n is unknown or the product passes 2^53 */
static long long
times(long long n, long long per)
{
	const long long max = 1LL << 53;

	return n < 0 || per < 0 || (per > 0 && n > max / per) ? -1 : n * per;
}

int
tl_aug_header(struct tl_rec *h, long long per, int all)
{
	long long n = tl_header_expect(h, TL_HEADER_EXPECT);
	long long t = tl_header_expect(h, TL_HEADER_EXPECT_TRAIN), nt;

	if (n >= 0 && t > n) /* more train records than records: noise */
		t = n;
	nt = times(t, per);
	if (all)
		n = times(n, per);
	else if (n < 0 || nt < 0 || (n = n - t + nt) > 1LL << 53)
		n = -1;
	return tl_header_set_expect(h, TL_HEADER_EXPECT, n) < 0 ||
	       tl_header_set_expect(h, TL_HEADER_EXPECT_TRAIN, nt) < 0 ? -1 : 0;
}
