/*
 * image.h - decoding and encoding images with libvips, always ending in one
 * pixel format: 8-bit sRGB RGB, [height][width][3], EXIF orientation applied.
 *
 * Every decoder takes the encoded file in memory (buf, len) and does the same
 * normalisation: EXIF orientation applied; grey, 16-bit, palette, CMYK and
 * other colour spaces converted to 8-bit sRGB; alpha flattened on white;
 * anything past three bands dropped.  Before any pixel is decoded the header
 * is read and its declared size checked against opts->max_pixels, so a
 * hostile file declaring 100000x100000 costs nothing.  Only the safe libvips
 * loaders are used (JPEG, PNG, GIF, WebP, TIFF, HEIF/AVIF): a file another
 * loader would read (PDF, SVG, ImageMagick, ...) is refused, by name, before
 * libvips reads more than its first bytes (and tl_image_init blocks the
 * "untrusted" loaders besides).  tl_image_sniff judges a file from its first
 * TL_IMAGE_HEAD bytes, so a caller need not read a large non-image whole.
 * A truncated or corrupt file is an error, never a grey-filled image.
 *
 * Ownership: pixel buffers and encoded buffers returned here are the
 * caller's, freed with tl_image_free() and free() respectively.  buf is
 * only read, and never kept past the call.
 *
 * Not here: where the bytes come from (walk.h), records (ingest.h).
 */
#ifndef TL_IMAGE_H
#define TL_IMAGE_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

#define TL_IMAGE_MAX_PIXELS_DEFAULT 100000000ULL /* 100 megapixels */
#define TL_IMAGE_HEAD 4096 /* bytes tl_image_sniff needs at most */

enum tl_fit {
	TL_CROP_CENTRE, /* cover size x size, then crop the middle: [size,size,3] */
	TL_FIT,         /* fit inside size x size, aspect kept: longer side = size */
};

struct tl_image_opts {
	unsigned long long max_pixels; /* header width*height limit; 0: none */
	/* tl_image_decode only: 0 decodes at full size; n > 0 lets a JPEG
	 * decode at 1/2, 1/4 or 1/8 scale (libjpeg's DCT scaling, the
	 * shrink-on-load of vips_thumbnail) while its shorter side stays >= n,
	 * so a caller that will shrink to n anyway skips most of the work. */
	int min_side;
};

struct tl_image {
	int width, height;  /* after EXIF orientation */
	unsigned char *pix; /* [height][width][3] sRGB u8; owned, tl_image_free */
};

/* Starts libvips once per process: blocks untrusted loaders, turns off the
 * operation cache (buffers are reused by callers) and libvips's own warnings
 * on stderr (errors reach the caller through err instead).  0 or -1. */
int tl_image_init(struct tl_err *err);

/* Judges a file from its first bytes head[0..n) (n: TL_IMAGE_HEAD, or the
 * whole file when shorter; more is allowed, only so many are looked at by
 * the message): 0 when a safe loader takes it, -1 with err saying what it
 * is otherwise ("empty file", "not an image: a PDF document", "not an image:
 * a text file", "not an image (unknown format)", ...).  Reads no pixel:
 * libvips's own detection (vips_foreign_find_load_buffer) on the bytes. */
int tl_image_sniff(const void *head, size_t n, struct tl_err *err);

/* Reads the header only: size after EXIF orientation, checked against
 * max_pixels.  *format gets the loader's short name ("jpeg", "png", ...;
 * static storage) when format is not NULL.  0 or -1 (err: why). */
int tl_image_probe(const void *buf, size_t len, const struct tl_image_opts *o,
                   int *width, int *height, const char **format, struct tl_err *err);

/* Decodes at full size (or, with o->min_side, as small as that allows)
 * into out (out->pix caller-owned).  0 or -1. */
int tl_image_decode(const void *buf, size_t len, const struct tl_image_opts *o,
                    struct tl_image *out, struct tl_err *err);

/* Decodes straight to a size-pixel thumbnail (shrink-on-load: a large JPEG is
 * decoded at 1/2, 1/4 or 1/8 scale): [size,size,3] for TL_CROP_CENTRE, the
 * longer side size for TL_FIT.  Small images are enlarged.  When phash is
 * not NULL it gets the perceptual hash of the whole image (uncropped) from
 * the same decode (tl_image_phash_pixels of the scaled image: within a few
 * bits of tl_image_phash's, which decodes at 32x32).  0 or -1. */
int tl_image_thumbnail(const void *buf, size_t len, const struct tl_image_opts *o,
                       int size, enum tl_fit fit, struct tl_image *out,
                       uint64_t *phash, struct tl_err *err);

/* 64-bit perceptual hash of the encoded image: oriented, decoded small
 * (within 64x64), grey (Rec. 601 luma) averaged onto a 32x32 grid (aspect
 * ignored), 2-D DCT-II, the 8x8 lowest frequencies compared with their
 * median; bit 63 - (8*row + col) is set when coefficient [row][col] is above
 * it (the layout of Python imagehash's phash, printed as %016llx).
 * Re-encoding or resizing moves a few bits; a different picture about half.
 * tests/unit/phash_ref.py states it in NumPy. */
int tl_image_phash(const void *buf, size_t len, const struct tl_image_opts *o,
                   uint64_t *hash, struct tl_err *err);

/* The same hash of decoded pixels (any size; no libvips: cheap).  Grey is
 * averaged over 32x32 cells, so the hash of a thumbnail is within a few bits
 * of the hash of its original. */
uint64_t tl_image_phash_pixels(const struct tl_image *im);

/* Number of differing bits between two hashes (0..64). */
int tl_phash_distance(uint64_t a, uint64_t b);

/* Encodes im as PNG, or as JPEG of quality 1..100; *buf is malloc'd and the
 * caller's (free()).  0 or -1. */
int tl_image_encode_png(const struct tl_image *im, void **buf, size_t *len,
                        struct tl_err *err);
int tl_image_encode_jpeg(const struct tl_image *im, int quality, void **buf,
                         size_t *len, struct tl_err *err);

/* Frees im->pix and sets it to NULL; accepts NULL and an empty image. */
void tl_image_free(struct tl_image *im);

#endif
