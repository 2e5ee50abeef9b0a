/*
 * image.c - libvips decoding to 8-bit sRGB RGB, thumbnails, the perceptual
 * hash, PNG/JPEG encoding.  See image.h for the pixel contract.
 *
 * One libvips pipeline per call where possible: libvips costs about a
 * millisecond per pipeline, as much as decoding a small JPEG at 1/8 scale, so
 * tl_image_thumbnail decodes once for both the pixels and the hash, and the
 * hash itself (area averaging, DCT) is plain C over decoded pixels.
 * normalise() hangs its intermediate images off one local context object, so
 * a single g_object_unref frees them all on every path.  libvips's error
 * buffer is per thread; each failure copies it into err and clears it, so one
 * file's message never leaks into the next.
 *
 * Deliberately not here: ICC colour management beyond what libvips does by
 * default (CMYK through the embedded or fallback profile), animation (the
 * first page/frame is the image), resampling of decoded pixels.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <vips/vips.h>

#include "data/image.h"

/* Loader options: a truncated or corrupt file fails instead of decoding to
 * grey.  Passed as a string to vips_thumbnail_buffer. */
#define LOAD_OPTS "fail_on=error"

/* tl_image_phash decodes to fit this box before averaging onto 32x32: a
 * JPEG then decodes at 1/8 or 1/4 scale, and the hash agrees with that of a
 * thumbnail (tl_image_thumbnail) to a bit or two. */
#define PHASH_BOX 64

static void
quiet(const char *domain, GLogLevelFlags level, const char *msg, void *data)
{
}

int
tl_image_init(struct tl_err *err)
{
	static int done;

	if (done)
		return 0;
	if (vips_init("tl") != 0)
		return tl_err_set(err, "cannot start libvips: %s", vips_error_buffer());
	vips_block_untrusted_set(TRUE);
	vips_cache_set_max(0);
	g_log_set_handler("VIPS", G_LOG_LEVEL_WARNING | G_LOG_LEVEL_MESSAGE |
	                  G_LOG_LEVEL_INFO | G_LOG_LEVEL_DEBUG, quiet, NULL);
	done = 1;
	return 0;
}

/* Copies libvips's error buffer into err, one line, without the
 * "VipsForeignLoad: " style class prefixes that mean nothing to a user.
 * Returns -1. */
static int
vips_fail(struct tl_err *err, const char *what)
{
	char msg[512], *p, *q;

	snprintf(msg, sizeof msg, "%s", vips_error_buffer());
	vips_error_clear();
	/* keep the first line: later ones repeat it from outer operations */
	if ((p = strchr(msg, '\n')) != NULL)
		*p = '\0';
	p = msg;
	if ((q = strstr(p, ": ")) != NULL && q - p < 40 && strchr(p, ' ') == q + 1)
		p = q + 2;
	if (*p == '\0')
		return tl_err_set(err, "%s", what);
	return tl_err_set(err, "%s: %s", what, p);
}

/* The libvips loaders tl uses, by nickname: the ones libvips does not mark
 * untrusted.  Any other loader libvips finds (PDF, SVG, ImageMagick, ...) is
 * refused here, whatever vips_block_untrusted_set does in this version. */
static const char *safe_loaders[] = { "jpegload_buffer", "pngload_buffer", "gifload_buffer",
                                      "webpload_buffer", "tiffload_buffer", "heifload_buffer" };

/* In the messages about images of other formats. */
#define SAFE_FORMATS "JPEG, PNG, GIF, WebP, TIFF and HEIF/AVIF"

/* What a file that no safe loader takes is, by libvips's nickname for the
 * loader that would read it; image: it is an image, of a format tl does not
 * read. */
static const struct {
	const char *nick, *what;
	int image;
} unsafe_loaders[] = {
	{ "pdfload_buffer", "a PDF document", 0 },   { "svgload_buffer", "an SVG drawing", 1 },
	{ "jp2kload_buffer", "a JPEG 2000 image", 1 }, { "jxlload_buffer", "a JPEG XL image", 1 },
	{ "radload_buffer", "a Radiance HDR image", 1 },
};

/* What some common files are, from their first bytes (after libvips found
 * no loader, or only ImageMagick, which claims nearly anything). */
static const struct {
	size_t off, len;
	const char *magic, *what;
	int image;
} magics[] = {
	{ 0, 5, "%PDF-", "a PDF document", 0 },
	{ 0, 4, "PK\3\4", "a zip archive", 0 },
	{ 0, 4, "PK\5\6", "a zip archive", 0 },
	{ 0, 2, "\x1f\x8b", "a gzip file", 0 },
	{ 0, 3, "BZh", "a bzip2 file", 0 },
	{ 0, 6, "\xfd" "7zXZ\0", "an xz file", 0 },
	{ 0, 4, "\x28\xb5\x2f\xfd", "a zstd file", 0 },
	{ 0, 6, "7z\xbc\xaf\x27\x1c", "a 7z archive", 0 },
	{ 0, 4, "Rar!", "a RAR archive", 0 },
	{ 257, 5, "ustar", "a tar archive", 0 },
	{ 0, 4, "\x7f" "ELF", "an ELF executable", 0 },
	{ 4, 4, "ftyp", "an MP4 or QuickTime file", 0 }, /* HEIF/AVIF were taken */
	{ 0, 4, "OggS", "an Ogg file", 0 },
	{ 0, 3, "ID3", "an MP3 file", 0 },
	{ 0, 2, "BM", "a BMP image", 1 },
	{ 0, 4, "8BPS", "a Photoshop document", 1 },
};

/* Sets err to "not an image: what", or for an image of another format
 * "what: tl reads ...".  Returns -1. */
static int
refuse(const char *what, int image, struct tl_err *err)
{
	if (image)
		return tl_err_set(err, "%s: tl reads " SAFE_FORMATS, what);
	return tl_err_set(err, "not an image: %s", what);
}

/* Is loader (a GType name) one of safe_loaders?  *nick gets its nickname. */
static int
is_safe(const char *loader, const char **nick)
{
	*nick = vips_nickname_find(g_type_from_name(loader));
	for (size_t i = 0; *nick != NULL && i < sizeof safe_loaders / sizeof safe_loaders[0]; i++)
		if (strcmp(*nick, safe_loaders[i]) == 0)
			return 1;
	return 0;
}

/* Sets err to what the file starting with p[0..n) is, when no safe loader
 * reads it (nick: the unsafe loader libvips found, or NULL).  Returns -1. */
static int
not_an_image(const unsigned char *p, size_t n, const char *nick, struct tl_err *err)
{
	const gchar *end;
	size_t zeros = 0, i;

	for (i = 0; nick != NULL && i < sizeof unsafe_loaders / sizeof unsafe_loaders[0]; i++)
		if (strcmp(nick, unsafe_loaders[i].nick) == 0)
			return refuse(unsafe_loaders[i].what, unsafe_loaders[i].image, err);
	for (i = 0; i < sizeof magics / sizeof magics[0]; i++)
		if (n >= magics[i].off + magics[i].len &&
		    memcmp(p + magics[i].off, magics[i].magic, magics[i].len) == 0)
			return refuse(magics[i].what, magics[i].image, err);
	while (zeros < n && p[zeros] == 0)
		zeros++;
	if (zeros == n)
		return tl_err_set(err, "not an image: %s %zu bytes are all zero",
		                  n < TL_IMAGE_HEAD ? "its" : "its first", n);
	/* text: UTF-8 (a character cut at the end of p aside), no control
	 * character but white space */
	g_utf8_validate((const gchar *)p, n, &end);
	for (i = 0; i < n && (p[i] >= 0x20 || (p[i] != 0 && strchr("\t\n\r\f", p[i]))); i++)
		;
	if (i == n && (size_t)(end - (const gchar *)p) + 4 > n) {
		const char *t = (const char *)p, *e = (const char *)p + n;

		while (t < e && g_ascii_isspace(*t))
			t++;
		if ((e - t >= 14 && g_ascii_strncasecmp(t, "<!doctype html", 14) == 0) ||
		    (e - t >= 5 && g_ascii_strncasecmp(t, "<html", 5) == 0))
			return tl_err_set(err, "not an image: an HTML page");
		return tl_err_set(err, "not an image: a text file");
	}
	if (nick != NULL && strcmp(nick, "magickload_buffer") != 0)
		return tl_err_set(err, "a format tl does not read (libvips's %s): tl reads "
		                  SAFE_FORMATS, nick);
	return tl_err_set(err, "not an image (unknown format)");
}

int
tl_image_sniff(const void *head, size_t n, struct tl_err *err)
{
	const char *loader, *nick = NULL;

	if (n == 0)
		return tl_err_set(err, "empty file");
	loader = vips_foreign_find_load_buffer(head, n);
	vips_error_clear();
	if (loader != NULL && is_safe(loader, &nick))
		return 0;
	return not_an_image(head, MIN(n, TL_IMAGE_HEAD), nick, err);
}

/* The lazily loaded image (header read, no pixels yet), size checked.  The
 * image refers to buf, which must outlive it.  NULL with err set. */
static VipsImage *
load_header(const void *buf, size_t len, const struct tl_image_opts *o,
            const char **format, struct tl_err *err)
{
	const char *loader, *nick = NULL;
	VipsImage *im;
	unsigned long long npix;

	if (len == 0) {
		tl_err_set(err, "empty file");
		return NULL;
	}
	loader = vips_foreign_find_load_buffer(buf, len);
	vips_error_clear();
	if (loader == NULL || !is_safe(loader, &nick)) {
		not_an_image(buf, MIN(len, TL_IMAGE_HEAD), nick, err);
		return NULL;
	}
	im = vips_image_new_from_buffer(buf, len, LOAD_OPTS, NULL);
	if (im == NULL) {
		vips_fail(err, "bad header");
		return NULL;
	}
	npix = (unsigned long long)im->Xsize * (unsigned long long)im->Ysize;
	if (o != NULL && o->max_pixels != 0 && npix > o->max_pixels) {
		tl_err_set(err, "image too large: %dx%d pixels, limit %llu",
		           im->Xsize, im->Ysize, o->max_pixels);
		g_object_unref(im);
		return NULL;
	}
	if (format != NULL) { /* "VipsForeignLoadPngBuffer" -> "png" */
		static const char *names[] = { "jpeg", "png", "gif", "webp", "tiff", "heif" };

		*format = "other";
		for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
			if (strcasestr(loader, names[i]) != NULL)
				*format = names[i];
	}
	return im;
}

/* in (any format, orientation already applied) -> *out 8-bit sRGB, 3 bands,
 * alpha flattened on white.  Intermediates hang off ctx. */
static int
normalise(VipsObject *ctx, VipsImage *in, VipsImage **out)
{
	VipsImage **t = (VipsImage **)vips_object_local_array(ctx, 5);
	VipsImage *x = in;
	double white[3] = { 255, 255, 255 };
	VipsArrayDouble *bg;
	int r;

	if (vips_image_get_interpretation(x) != VIPS_INTERPRETATION_sRGB ||
	    vips_image_get_format(x) != VIPS_FORMAT_UCHAR) {
		if (vips_colourspace(x, &t[0], VIPS_INTERPRETATION_sRGB, NULL) != 0)
			return -1;
		x = t[0];
	}
	if (vips_image_get_format(x) != VIPS_FORMAT_UCHAR) {
		if (vips_cast(x, &t[1], VIPS_FORMAT_UCHAR, NULL) != 0)
			return -1;
		x = t[1];
	}
	if (vips_image_hasalpha(x)) {
		bg = vips_array_double_new(white, 3);
		r = vips_flatten(x, &t[2], "background", bg, "max_alpha", 255.0, NULL);
		vips_area_unref(VIPS_AREA(bg));
		if (r != 0)
			return -1;
		x = t[2];
	}
	if (x->Bands == 1 || x->Bands == 2) {
		VipsImage *grey[3];

		if (vips_extract_band(x, &t[3], 0, NULL) != 0)
			return -1;
		grey[0] = grey[1] = grey[2] = t[3];
		if (vips_bandjoin(grey, &t[4], 3, NULL) != 0)
			return -1;
		x = t[4];
	} else if (x->Bands > 3) {
		if (vips_extract_band(x, &t[3], 0, "n", 3, NULL) != 0)
			return -1;
		x = t[3];
	}
	g_object_ref(x);
	*out = x;
	return 0;
}

/* Runs the pipeline in -> normalised pixels in out.  0 or -1 (err). */
static int
to_pixels(VipsImage *in, struct tl_image *out, struct tl_err *err, const char *what)
{
	VipsObject *ctx = VIPS_OBJECT(vips_image_new());
	VipsImage *x;
	void *mem;
	size_t size;

	out->pix = NULL;
	if (normalise(ctx, in, &x) != 0) {
		g_object_unref(ctx);
		return vips_fail(err, what);
	}
	mem = vips_image_write_to_memory(x, &size);
	if (mem == NULL) {
		g_object_unref(x);
		g_object_unref(ctx);
		return vips_fail(err, what);
	}
	out->width = x->Xsize;
	out->height = x->Ysize;
	out->pix = mem; /* g_malloc is malloc since GLib 2.46: free() is right */
	g_object_unref(x);
	g_object_unref(ctx);
	return 0;
}

int
tl_image_probe(const void *buf, size_t len, const struct tl_image_opts *o,
               int *width, int *height, const char **format, struct tl_err *err)
{
	VipsImage *im;

	if ((im = load_header(buf, len, o, format, err)) == NULL)
		return -1;
	*width = im->Xsize;
	*height = im->Ysize;
	if (vips_image_get_orientation_swap(im)) {
		*width = im->Ysize;
		*height = im->Xsize;
	}
	g_object_unref(im);
	return 0;
}

/* The largest JPEG scale-down (1, 2, 4 or 8) that keeps the shorter side
 * of im at o->min_side or more: the factor vips_thumbnail would choose. */
static int
jpeg_shrink(const VipsImage *im, const char *format, const struct tl_image_opts *o)
{
	int side = MIN(im->Xsize, im->Ysize), k = 8;

	if (o == NULL || o->min_side <= 0 || strcmp(format, "jpeg") != 0)
		return 1;
	while (k > 1 && side / k < o->min_side)
		k /= 2;
	return k;
}

int
tl_image_decode(const void *buf, size_t len, const struct tl_image_opts *o,
                struct tl_image *out, struct tl_err *err)
{
	VipsImage *im, *rot;
	const char *format;
	int r, k;

	out->pix = NULL;
	if ((im = load_header(buf, len, o, &format, err)) == NULL)
		return -1;
	if ((k = jpeg_shrink(im, format, o)) > 1) {
		g_object_unref(im);
		im = vips_image_new_from_buffer(buf, len, LOAD_OPTS, "shrink", k, NULL);
		if (im == NULL)
			return vips_fail(err, "cannot decode");
	}
	if (vips_autorot(im, &rot, NULL) != 0) {
		g_object_unref(im);
		return vips_fail(err, "cannot decode");
	}
	r = to_pixels(rot, out, err, "cannot decode");
	g_object_unref(rot);
	g_object_unref(im);
	return r;
}

/* vips_thumbnail_buffer after the header check; *out is a new reference. */
static int
thumb(const void *buf, size_t len, const struct tl_image_opts *o, int w, int h,
      VipsSize size, VipsInteresting crop, VipsImage **out, struct tl_err *err)
{
	VipsImage *im;

	if ((im = load_header(buf, len, o, NULL, err)) == NULL)
		return -1;
	g_object_unref(im);
	if (vips_thumbnail_buffer((void *)buf, len, out, w, "height", h, "size", size,
	                          "crop", crop, "option_string", LOAD_OPTS, NULL) != 0)
		return vips_fail(err, "cannot decode");
	return 0;
}

/* Grey (Rec. 601 luma) area average of RGB pixels onto a 32x32 grid:
 * in [h][w][3] u8, any size (a pixel straddling cells is shared by overlap);
 * out [32][32] in 0..255. */
static void
grey32(const unsigned char *rgb, int w, int h, double out[32][32])
{
	double row[32], fx = 32.0 / w, fy = 32.0 / h;

	memset(out, 0, 32 * 32 * sizeof(double));
	for (int y = 0; y < h; y++) {
		const unsigned char *p = rgb + (size_t)y * w * 3;
		double y0 = y * fy, y1 = (y + 1) * fy;

		memset(row, 0, sizeof row);
		for (int x = 0; x < w; x++, p += 3) {
			double v = 0.299 * p[0] + 0.587 * p[1] + 0.114 * p[2];
			double x0 = x * fx, x1 = (x + 1) * fx;

			for (int i = (int)x0; i < 32 && i < x1; i++)
				row[i] += v * (fmin(x1, i + 1) - fmax(x0, i));
		}
		for (int j = (int)y0; j < 32 && j < y1; j++) {
			double wy = fmin(y1, j + 1) - fmax(y0, j);

			for (int i = 0; i < 32; i++)
				out[j][i] += row[i] * wy;
		}
	}
}

/* The hash of a 32x32 grey image: DCT-II of x, the 8x8 lowest frequencies
 * against their median (numpy's: the mean of the middle two). */
static uint64_t
dct_hash(const double x[32][32])
{
	double d[8][32], tmp[8][32], c[64], s[64], med;
	uint64_t h = 0;

	/* DCT-II basis, rows 0..7 only: d[k][n] = cos(pi (2n+1) k / 64) */
	for (int k = 0; k < 8; k++)
		for (int n = 0; n < 32; n++)
			d[k][n] = cos(M_PI * (2 * n + 1) * k / 64.0);
	/* tmp[8][32] = d[8][32] . x[32][32]; c[8][8] = tmp . d^T */
	for (int k = 0; k < 8; k++)
		for (int n = 0; n < 32; n++) {
			double a = 0;
			for (int m = 0; m < 32; m++)
				a += d[k][m] * x[m][n];
			tmp[k][n] = a;
		}
	for (int k = 0; k < 8; k++)
		for (int l = 0; l < 8; l++) {
			double a = 0;
			for (int n = 0; n < 32; n++)
				a += tmp[k][n] * d[l][n];
			c[8 * k + l] = a;
		}
	memcpy(s, c, sizeof s);
	for (int i = 1; i < 64; i++) /* insertion sort: 64 floats */
		for (int j = i; j > 0 && s[j - 1] > s[j]; j--) {
			double t = s[j];
			s[j] = s[j - 1];
			s[j - 1] = t;
		}
	med = (s[31] + s[32]) / 2;
	for (int i = 0; i < 64; i++)
		if (c[i] > med)
			h |= (uint64_t)1 << (63 - i);
	return h;
}

uint64_t
tl_image_phash_pixels(const struct tl_image *im)
{
	double g[32][32];

	grey32(im->pix, im->width, im->height, g);
	return dct_hash(g);
}

int
tl_image_phash(const void *buf, size_t len, const struct tl_image_opts *o,
               uint64_t *hash, struct tl_err *err)
{
	VipsImage *im;
	struct tl_image px;
	int r;

	/* decoded small (shrink-on-load does most of it), then averaged onto
	 * the 32x32 grid as the hash of a thumbnail is */
	if (thumb(buf, len, o, PHASH_BOX, PHASH_BOX, VIPS_SIZE_DOWN, VIPS_INTERESTING_NONE,
	          &im, err) != 0)
		return -1;
	r = to_pixels(im, &px, err, "cannot decode"); /* the pixels come now */
	g_object_unref(im);
	if (r != 0)
		return -1;
	*hash = tl_image_phash_pixels(&px);
	tl_image_free(&px);
	return 0;
}

/* The centre size x size of im into out (new pixels).  0 or -1. */
static int
crop_centre(const struct tl_image *im, int size, struct tl_image *out, struct tl_err *err)
{
	int x0 = (im->width - size) / 2, y0 = (im->height - size) / 2;

	out->width = out->height = size;
	if ((out->pix = malloc((size_t)size * size * 3)) == NULL)
		return tl_err_set(err, "out of memory");
	for (int y = 0; y < size; y++)
		memcpy(out->pix + (size_t)y * size * 3,
		       im->pix + ((size_t)(y0 + y) * im->width + x0) * 3, (size_t)size * 3);
	return 0;
}

int
tl_image_thumbnail(const void *buf, size_t len, const struct tl_image_opts *o,
                   int size, enum tl_fit fit, struct tl_image *out, uint64_t *phash,
                   struct tl_err *err)
{
	VipsImage *im;
	struct tl_image whole;
	int w, h, r;

	out->pix = NULL;
	if (size < 1 || size > VIPS_MAX_COORD)
		return tl_err_set(err, "bad thumbnail size %d", size);
	if (fit == TL_FIT) {
		w = h = size;
	} else { /* the box whose fitting image covers size x size: short side = size */
		if (tl_image_probe(buf, len, o, &w, &h, NULL, err) != 0)
			return -1;
		if (w <= h) {
			h = (int)fmin(ceil((double)h * size / w) + 1, VIPS_MAX_COORD);
			w = size;
		} else {
			w = (int)fmin(ceil((double)w * size / h) + 1, VIPS_MAX_COORD);
			h = size;
		}
	}
	/* one decode: the whole image, scaled; the hash from all of it, the
	 * pixels from its middle */
	if (thumb(buf, len, o, w, h, VIPS_SIZE_BOTH, VIPS_INTERESTING_NONE, &im, err) != 0)
		return -1;
	r = to_pixels(im, &whole, err, "cannot decode");
	g_object_unref(im);
	if (r != 0)
		return -1;
	if (phash != NULL)
		*phash = tl_image_phash_pixels(&whole);
	if (fit == TL_FIT || (whole.width == size && whole.height == size)) {
		*out = whole;
		return 0;
	}
	if (whole.width < size || whole.height < size) { /* rounding: not seen, but */
		tl_image_free(&whole);
		if (thumb(buf, len, o, size, size, VIPS_SIZE_BOTH, VIPS_INTERESTING_CENTRE,
		          &im, err) != 0)
			return -1;
		r = to_pixels(im, out, err, "cannot decode");
		g_object_unref(im);
		return r;
	}
	r = crop_centre(&whole, size, out, err);
	tl_image_free(&whole);
	return r;
}

/* A libvips image over im's pixels (not copied: im must outlive it). */
static VipsImage *
wrap(const struct tl_image *im, struct tl_err *err)
{
	VipsImage *v;

	if (im->pix == NULL || im->width < 1 || im->height < 1) {
		tl_err_set(err, "empty image");
		return NULL;
	}
	v = vips_image_new_from_memory(im->pix, (size_t)im->width * im->height * 3,
	                               im->width, im->height, 3, VIPS_FORMAT_UCHAR);
	if (v == NULL)
		vips_fail(err, "cannot wrap pixels");
	return v;
}

int
tl_phash_distance(uint64_t a, uint64_t b)
{
	return __builtin_popcountll(a ^ b);
}

static int
encode(const struct tl_image *im, int quality, void **buf, size_t *len,
       struct tl_err *err)
{
	VipsImage *v;
	void *mem = NULL;
	size_t n = 0;
	int r;

	*buf = NULL;
	*len = 0;
	if ((v = wrap(im, err)) == NULL)
		return -1;
	if (quality == 0)
		r = vips_pngsave_buffer(v, &mem, &n, "strip", TRUE, NULL);
	else
		r = vips_jpegsave_buffer(v, &mem, &n, "Q", quality, "strip", TRUE, NULL);
	g_object_unref(v);
	if (r != 0)
		return vips_fail(err, "cannot encode");
	*buf = mem; /* g_malloc'd: free() is right, GLib >= 2.46 */
	*len = n;
	return 0;
}

int
tl_image_encode_png(const struct tl_image *im, void **buf, size_t *len,
                    struct tl_err *err)
{
	return encode(im, 0, buf, len, err);
}

int
tl_image_encode_jpeg(const struct tl_image *im, int quality, void **buf, size_t *len,
                     struct tl_err *err)
{
	if (quality < 1 || quality > 100)
		return tl_err_set(err, "bad JPEG quality %d", quality);
	return encode(im, quality, buf, len, err);
}

void
tl_image_free(struct tl_image *im)
{
	if (im == NULL)
		return;
	free(im->pix);
	im->pix = NULL;
}
