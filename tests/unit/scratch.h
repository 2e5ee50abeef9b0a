/*
 * scratch.h - a unit test's scratch folder, written once for all of them:
 * scratch_open makes a new folder $TMPDIR/NAME.XXXXXX (/tmp when TMPDIR is
 * unset or empty), at(rel) names a path inside it, spit (a string) and
 * spit_bytes write a file there (its parent folders made first), slurp
 * reads any file whole, and scratch_close removes the folder: only when
 * empty (what a test made it removes itself, and a file left over is a
 * failure), or with all it holds.
 * Header-only, like t.h: static (inline, so a test need not use them all)
 * functions, one folder per test at a time.
 *
 * Memory: at() returns one of four static buffers (the fifth call reuses
 * the first); slurp's result is malloc'd (by GLib), the caller g_free()s it.
 */
#ifndef TL_SCRATCH_H
#define TL_SCRATCH_H
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib.h>

#include "t.h"

static char scratch_dir[4096];
static const char *scratch_name;

/* A new folder named after the test into scratch_dir; it, or NULL (errno
 * set) when it cannot be made.  Prints nothing. */
static inline const char *
scratch_new(const char *name)
{
	const char *t = getenv("TMPDIR");

	scratch_name = name;
	snprintf(scratch_dir, sizeof scratch_dir, "%s/%s.XXXXXX", t && *t ? t : "/tmp", name);
	return mkdtemp(scratch_dir);
}

/* scratch_new, or -1 after "FAIL NAME: no temporary folder: why". */
static inline int
scratch_open(const char *name)
{
	if (scratch_new(name) != NULL)
		return 0;
	printf("FAIL %s: no temporary folder: %s\n", name, strerror(errno));
	t_failed = 1;
	return -1;
}

/* scratch_dir/rel, in a static buffer (four in turn). */
static inline const char *
at(const char *rel)
{
	static char buf[4][4200];
	static int i;

	i = (i + 1) % 4;
	snprintf(buf[i], sizeof buf[i], "%s/%s", scratch_dir, rel);
	return buf[i];
}

/* A folder scratch_dir/rel: 0, or -1 after the same message as scratch_open. */
static inline int
scratch_mkdir(const char *rel)
{
	if (mkdir(at(rel), 0755) == 0)
		return 0;
	printf("FAIL %s: no temporary folder: %s\n", scratch_name, strerror(errno));
	t_failed = 1;
	return -1;
}

/* scratch_dir/rel holding the len bytes at buf, its parent folders made
 * first: 0, or -1 (errno set).  Prints nothing: a test that must know
 * checks the result. */
static inline int
spit_bytes(const char *rel, const void *buf, size_t len)
{
	const char *path = at(rel);
	char *parent = g_path_get_dirname(path);
	FILE *f;
	int rc;

	g_mkdir_with_parents(parent, 0755);
	g_free(parent);
	if ((f = fopen(path, "wb")) == NULL)
		return -1;
	rc = fwrite(buf, 1, len, f) == len ? 0 : -1;
	if (fclose(f) != 0)
		rc = -1;
	return rc;
}

/* spit_bytes of the string text, without its NUL. */
static inline int
spit(const char *rel, const char *text)
{
	return spit_bytes(rel, text, strlen(text));
}

/* The whole file at path (any path: at(rel) for one in the folder), NUL
 * ended, its length in *len when len is not NULL; NULL when it cannot be
 * read.  The caller g_free()s it. */
static inline char *
slurp(const char *path, size_t *len)
{
	gchar *buf = NULL;
	gsize n = 0;

	if (!g_file_get_contents(path, &buf, &n, NULL))
		return NULL;
	if (len)
		*len = n;
	return buf;
}

static inline int
scratch_rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

/* Removes scratch_dir: with all it holds when all, else only when empty.
 * 0, or -1 when something stays. */
static inline int
scratch_close(int all)
{
	if (all)
		return nftw(scratch_dir, scratch_rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return rmdir(scratch_dir);
}
#endif
