/*
 * extract.c - records' images back to files (extract.h).
 *
 * All paths below DIR go through a directory descriptor (mkdirat, openat,
 * renameat) and the class directory is opened with O_NOFOLLOW, so neither a
 * hostile id nor a symlink planted in DIR can send a write elsewhere.  Files
 * are not fsync'ed: the rename makes them appear whole, not durable.  The one
 * use of libvips is PNG encoding of "pix"; decoding is image.h's job.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <vips/vips.h>

#include "core/hash.h"
#include "core/tensor.h"
#include "stream/extract.h"

#define NAME_KEEP 200 /* bytes of an id kept as is in a file name */
#define NAME_CUT 180  /* bytes kept of a longer one, before its hash */

struct tl_extract {
	char *dir;     /* as given, for the paths reported */
	int dfd;       /* dir itself */
	char *path;    /* the last path written: dir + "/" + class + "/" + name */
	unsigned long serial; /* makes temporary names unique in this process */
};

const char *
tl_extract_ext(const void *data, size_t n)
{
	const unsigned char *p = data;

	if (n >= 3 && p[0] == 0xff && p[1] == 0xd8 && p[2] == 0xff)
		return "jpg";
	if (n >= 8 && memcmp(p, "\x89PNG\r\n\x1a\n", 8) == 0)
		return "png";
	if (n >= 6 && (memcmp(p, "GIF87a", 6) == 0 || memcmp(p, "GIF89a", 6) == 0))
		return "gif";
	if (n >= 12 && memcmp(p, "RIFF", 4) == 0 && memcmp(p + 8, "WEBP", 4) == 0)
		return "webp";
	if (n >= 2 && p[0] == 'B' && p[1] == 'M')
		return "bmp";
	if (n >= 4 && (memcmp(p, "II*\0", 4) == 0 || memcmp(p, "MM\0*", 4) == 0))
		return "tif";
	if (n >= 12 && memcmp(p + 4, "ftyp", 4) == 0) {
		if (memcmp(p + 8, "avif", 4) == 0 || memcmp(p + 8, "avis", 4) == 0)
			return "avif";
		if (memcmp(p + 8, "heic", 4) == 0 || memcmp(p + 8, "heix", 4) == 0 ||
		    memcmp(p + 8, "mif1", 4) == 0 || memcmp(p + 8, "msf1", 4) == 0)
			return "heic";
	}
	return "bin";
}

void
tl_extract_safe_name(char *out, const char *s, size_t len)
{
	size_t i, n = len;

	if (n > NAME_KEEP) {
		n = NAME_CUT;
		while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--; /* do not cut a UTF-8 sequence */
	}
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		out[i] = (c < 0x20 || c == 0x7f || c == '/' || c == '\\') ? '_' : (char)c;
	}
	if (n < len)
		i += (size_t)snprintf(out + i, 32, "-%016llx", (unsigned long long)tl_hash_fnv1a64(s, len));
	if (i == 0)
		out[i++] = '_';
	out[i] = '\0';
	if (out[0] == '.')
		out[0] = '_';
}

/* mkdir -p */
static int
make_dirs(const char *dir, struct tl_err *err)
{
	char *p, *s = strdup(dir);

	if (s == NULL)
		return tl_err_set(err, "out of memory");
	for (p = s + 1;; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char c = *p;
		*p = '\0';
		if (mkdir(s, 0777) < 0 && errno != EEXIST) {
			tl_err_set(err, "%s: %s", s, strerror(errno));
			free(s);
			return -1;
		}
		*p = c;
		if (c == '\0')
			break;
	}
	free(s);
	return 0;
}

struct tl_extract *
tl_extract_open(const char *dir, struct tl_err *err)
{
	struct tl_extract *x;

	if (VIPS_INIT("tl")) {
		tl_err_set(err, "libvips: %s", vips_error_buffer());
		vips_error_clear();
		return NULL;
	}
	if (*dir == '\0' || make_dirs(dir, err) < 0) {
		if (*dir == '\0')
			tl_err_set(err, "empty directory name");
		return NULL;
	}
	if ((x = calloc(1, sizeof *x)) == NULL) {
		tl_err_set(err, "out of memory");
		return NULL;
	}
	x->dfd = -1;
	if ((x->dir = strdup(dir)) == NULL ||
	    (x->path = malloc(strlen(dir) + 2 * 256 + 3)) == NULL) {
		tl_err_set(err, "out of memory");
		tl_extract_close(x);
		return NULL;
	}
	if ((x->dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		tl_err_set(err, "%s: %s", dir, strerror(errno));
		tl_extract_close(x);
		return NULL;
	}
	return x;
}

void
tl_extract_close(struct tl_extract *x)
{
	if (x == NULL)
		return;
	if (x->dfd >= 0)
		close(x->dfd);
	free(x->dir);
	free(x->path);
	free(x);
}

/* pix as PNG bytes (caller g_free()s *out).  -1 when pix cannot be one. */
static int
encode_png(const struct tl_tensor *t, void **out, size_t *len, struct tl_err *err)
{
	VipsImage *im;
	int bands = t->ndim == 3 ? (int)t->shape[2] : 1;

	if (t->dtype != TL_U8 || t->ndim < 2 || t->ndim > 3 || bands < 1 || bands > 4)
		return tl_err_set(err, "pix is not |u1 [H,W] or [H,W,C] with C 1..4");
	if (t->shape[0] == 0 || t->shape[1] == 0 || t->shape[0] > VIPS_MAX_COORD ||
	    t->shape[1] > VIPS_MAX_COORD)
		return tl_err_set(err, "pix has an unusable size");
	im = vips_image_new_from_memory(t->data, (size_t)t->count, (int)t->shape[1],
	                                (int)t->shape[0], bands, VIPS_FORMAT_UCHAR);
	if (im == NULL || vips_pngsave_buffer(im, out, len, "strip", TRUE, NULL) != 0) {
		tl_err_set(err, "PNG encoding failed: %s", vips_error_buffer());
		vips_error_clear();
		if (im != NULL)
			g_object_unref(im);
		return -1;
	}
	g_object_unref(im);
	return 0;
}

/* The file name: the safe id, plus ".ext" unless it already ends so. */
static void
file_name(char *out, const msgpack_object *id, const char *ext)
{
	size_t n, e = strlen(ext);

	tl_extract_safe_name(out, id->via.str.ptr, id->via.str.size);
	n = strlen(out);
	if (n > e + 1 && out[n - e - 1] == '.' && strcasecmp(out + n - e, ext) == 0)
		return;
	if (strcmp(ext, "jpg") == 0 && n > 5 && strcasecmp(out + n - 5, ".jpeg") == 0)
		return;
	if (strcmp(ext, "tif") == 0 && n > 5 && strcasecmp(out + n - 5, ".tiff") == 0)
		return;
	snprintf(out + n, 16, ".%s", ext);
}

static int
write_all(int fd, const unsigned char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Writes p[0..n) as class/name below x->dir: temporary file, then rename. */
static int
put_file(struct tl_extract *x, const char *cls, const char *name, const void *p,
         size_t n, struct tl_err *err)
{
	char tmp[64];
	int cfd, fd, rc = 0;

	sprintf(x->path, "%s/%s", x->dir, cls);
	if (mkdirat(x->dfd, cls, 0777) < 0 && errno != EEXIST)
		return tl_err_set(err, "%s: %s", x->path, strerror(errno));
	if ((cfd = openat(x->dfd, cls, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		return tl_err_set(err, "%s: %s", x->path, strerror(errno));
	snprintf(tmp, sizeof tmp, ".tl-extract.%ld.%lu.tmp", (long)getpid(), x->serial++);
	sprintf(x->path, "%s/%s/%s", x->dir, cls, name);
	fd = openat(cfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
	if (fd < 0) {
		rc = tl_err_set(err, "%s: %s", x->path, strerror(errno));
	} else if (write_all(fd, p, n) < 0) {
		rc = tl_err_set(err, "%s: %s", x->path, strerror(errno));
		close(fd);
	} else if (close(fd) < 0 || renameat(cfd, tmp, cfd, name) < 0) {
		rc = tl_err_set(err, "%s: %s", x->path, strerror(errno));
	}
	if (rc < 0 && fd >= 0)
		unlinkat(cfd, tmp, 0);
	close(cfd);
	return rc;
}

int
tl_extract_put(struct tl_extract *x, const struct tl_rec *r, const char **path,
               struct tl_err *err)
{
	const msgpack_object *id = tl_rec_get(r, "id"), *img = tl_rec_get(r, "img");
	const msgpack_object *cls = tl_rec_get(r, "label");
	char cname[256], name[256];
	struct tl_tensor t;
	void *png = NULL;
	size_t len;
	int rc;

	if (id == NULL || id->type != MSGPACK_OBJECT_STR)
		return tl_err_set(err, "no string id"), TL_SKIP;
	if (cls == NULL || cls->type != MSGPACK_OBJECT_STR)
		cls = tl_rec_get(r, "pred");
	if (cls != NULL && cls->type == MSGPACK_OBJECT_STR)
		tl_extract_safe_name(cname, cls->via.str.ptr, cls->via.str.size);
	else
		strcpy(cname, "unlabelled");
	if (img != NULL && img->type == MSGPACK_OBJECT_BIN) {
		file_name(name, id, tl_extract_ext(img->via.bin.ptr, img->via.bin.size));
		rc = put_file(x, cname, name, img->via.bin.ptr, img->via.bin.size, err);
	} else if (tl_rec_get(r, "pix") != NULL) {
		if (tl_rec_tensor(r, "pix", &t, err) < 0 || encode_png(&t, &png, &len, err) < 0)
			return TL_SKIP;
		file_name(name, id, "png");
		rc = put_file(x, cname, name, png, len, err);
		g_free(png);
	} else {
		return tl_err_set(err, "no img or pix to extract"), TL_SKIP;
	}
	if (rc < 0)
		return TL_STOP;
	*path = x->path;
	return TL_OK;
}
