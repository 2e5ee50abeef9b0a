/*
 * contact.c - contact sheets as PNG (contact.h): the tiles are copied into
 * one RGB canvas that grows a row at a time, encoded with tl_image_encode_png
 * and written through a temporary file in the same directory.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "data/contact.h"
#include "data/image.h"

struct tl_contact {
	int tile, cols, rows, width; /* width in pixels */
	unsigned char *pix;          /* [rows*(tile+gap)][width][3] */
};

struct tl_contact *
tl_contact_new(int tile, int cols, struct tl_err *err)
{
	struct tl_contact *c;

	if (tile < 1 || cols < 1 || (long long)cols * (tile + TL_CONTACT_GAP) > 65536) {
		tl_err_set(err, "contact sheet: bad size (%d columns of %d pixels)", cols, tile);
		return NULL;
	}
	if ((c = calloc(1, sizeof *c)) == NULL) {
		tl_err_set(err, "out of memory");
		return NULL;
	}
	c->tile = tile;
	c->cols = cols;
	c->width = cols * tile + (cols - 1) * TL_CONTACT_GAP;
	return c;
}

void
tl_contact_free(struct tl_contact *c)
{
	if (c == NULL)
		return;
	free(c->pix);
	free(c);
}

int
tl_contact_row(struct tl_contact *c, struct tl_err *err)
{
	size_t band = (size_t)(c->tile + TL_CONTACT_GAP) * c->width * 3;
	unsigned char *p;

	if (c->rows + 1 > 65536 / (c->tile + TL_CONTACT_GAP))
		return tl_err_set(err, "contact sheet: too many rows");
	if ((p = realloc(c->pix, band * (c->rows + 1))) == NULL)
		return tl_err_set(err, "out of memory");
	memset(p + band * c->rows, 255, band);
	c->pix = p;
	c->rows++;
	return 0;
}

int
tl_contact_rows(const struct tl_contact *c)
{
	return c->rows;
}

void
tl_contact_put(struct tl_contact *c, int col, const unsigned char *pix)
{
	size_t y0 = (size_t)(c->rows - 1) * (c->tile + TL_CONTACT_GAP);
	size_t x0 = (size_t)col * (c->tile + TL_CONTACT_GAP);

	if (c->rows < 1 || col < 0 || col >= c->cols)
		return;
	for (int y = 0; y < c->tile; y++)
		memcpy(c->pix + ((y0 + y) * c->width + x0) * 3, pix + (size_t)y * c->tile * 3,
		       (size_t)c->tile * 3);
}

int
tl_contact_write(const struct tl_contact *c, const char *path, struct tl_err *err)
{
	struct tl_image im;
	char *tmp;
	void *png;
	size_t len;
	mode_t um;
	FILE *f;
	int fd, bad;

	if (c->rows < 1)
		return tl_err_set(err, "%s: nothing to show", path);
	im.width = c->width;
	im.height = c->rows * c->tile + (c->rows - 1) * TL_CONTACT_GAP;
	im.pix = c->pix;
	if (tl_image_encode_png(&im, &png, &len, err) != 0)
		return tl_err_prefix(err, "%s", path);
	if ((tmp = malloc(strlen(path) + 16)) == NULL) {
		free(png);
		return tl_err_set(err, "out of memory");
	}
	sprintf(tmp, "%s.tmpXXXXXX", path);
	if ((fd = mkstemp(tmp)) < 0) {
		tl_err_set(err, "%s: %s", path, strerror(errno));
		free(tmp);
		free(png);
		return -1;
	}
	um = umask(0);
	umask(um);
	fchmod(fd, 0666 & ~um); /* what fopen would have made */
	if ((f = fdopen(fd, "wb")) == NULL) {
		close(fd);
		bad = errno;
	} else {
		bad = fwrite(png, 1, len, f) != len ? errno : 0;
		if (fclose(f) != 0 && !bad)
			bad = errno;
	}
	if (!bad && rename(tmp, path) != 0)
		bad = errno;
	if (bad) {
		tl_err_set(err, "%s: %s", path, strerror(bad ? bad : EIO));
		unlink(tmp);
	}
	free(tmp);
	free(png);
	return bad ? -1 : 0;
}
