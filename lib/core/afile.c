/*
 * afile.c - files written whole (afile.h): mkstemp beside the target, then
 * rename(2), which replaces the target atomically within one file system.
 *
 * A device, FIFO or socket is written in place (tmp NULL): a rename would
 * replace the node itself (as root, /dev/null with a regular file).
 *
 * Not here: fsync (see afile.h), locking against a concurrent writer (the
 * last rename wins).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/afile.h"

struct tl_afile {
	FILE *f;
	char *path, *tmp;
};

struct tl_afile *
tl_afile_open(const char *path, struct tl_err *err)
{
	struct tl_afile *a;
	const char *base = strrchr(path, '/');
	size_t dirlen = base ? (size_t)(base - path) + 1 : 0;
	struct stat st;
	mode_t mask;
	int fd;

	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) {
		if ((a = calloc(1, sizeof *a)) == NULL || (a->path = strdup(path)) == NULL) {
			tl_err_set(err, "out of memory");
			free(a);
			return NULL;
		}
		if ((a->f = fopen(path, "wb")) == NULL) {
			tl_err_set(err, "%s: %s", path, strerror(errno));
			free(a->path);
			free(a);
			return NULL;
		}
		return a;
	}

	base = base ? base + 1 : path;
	if (*base == '\0') {
		tl_err_set(err, "%s: not a file name", path);
		return NULL;
	}
	if ((a = calloc(1, sizeof *a)) == NULL || (a->path = strdup(path)) == NULL ||
	    (a->tmp = malloc(strlen(path) + 16)) == NULL) {
		tl_err_set(err, "out of memory");
		goto fail;
	}
	snprintf(a->tmp, strlen(path) + 16, "%.*s.%s.XXXXXX", (int)dirlen, path, base);
	if ((fd = mkstemp(a->tmp)) < 0) {
		tl_err_set(err, "%s: %s", path, strerror(errno));
		goto fail;
	}
	mask = umask(0); /* read the umask: mkstemp made the file 0600 */
	umask(mask);
	if (fchmod(fd, 0666 & ~mask) < 0 || (a->f = fdopen(fd, "wb")) == NULL) {
		tl_err_set(err, "%s: %s", path, strerror(errno));
		close(fd);
		unlink(a->tmp);
		goto fail;
	}
	return a;
fail:
	if (a) {
		free(a->path);
		free(a->tmp);
	}
	free(a);
	return NULL;
}

FILE *
tl_afile_fp(struct tl_afile *a)
{
	return a->f;
}

static void
afile_free(struct tl_afile *a)
{
	free(a->path);
	free(a->tmp);
	free(a);
}

int
tl_afile_commit(struct tl_afile *a, struct tl_err *err)
{
	int bad = fflush(a->f) != 0 || ferror(a->f);
	int e = errno;

	if (fclose(a->f) != 0 && !bad) {
		bad = 1;
		e = errno;
	}
	if (!bad && a->tmp && rename(a->tmp, a->path) < 0) {
		bad = 1;
		e = errno;
	}
	if (bad) {
		tl_err_set(err, "%s: %s", a->path, strerror(e ? e : EIO));
		if (a->tmp)
			unlink(a->tmp);
	}
	afile_free(a);
	return bad ? -1 : 0;
}

void
tl_afile_abort(struct tl_afile *a)
{
	if (a == NULL)
		return;
	fclose(a->f);
	if (a->tmp)
		unlink(a->tmp);
	afile_free(a);
}
