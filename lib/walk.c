/*
 * walk.c - directory trees, archives, file lists and single files as one
 * sequence of (id, src, label, bytes) items.  See walk.h for the naming and
 * ordering rules.
 *
 * A directory is scanned once into a sorted array of relative paths; a
 * subdirectory or link that cannot be read becomes an entry carrying its
 * errno, so the error is reported in its sorted place like any other bad
 * item.  Archives are streamed with libarchive and never listed first.
 *
 * Not here: any judgement of the bytes (image.h does that).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "walk.h"

enum kind { W_DIR, W_LIST, W_ARCHIVE, W_FILE };

struct entry {
	char *id;    /* owned */
	char *label; /* owned; NULL: none (or from the path, for a directory) */
	int err;     /* errno found while listing, 0 if none */
};

struct tl_walk {
	enum kind kind;
	char *root; /* the path as given (a directory without its trailing '/') */
	const char *label;
	size_t max_bytes;
	struct entry *e;
	size_t n, cap, next;
	struct archive *ar;
	int done;
	unsigned char *buf; /* the current file; grows to the largest one */
	size_t bufcap;
	char *names; /* src\0id\0label\0 of the current item */
	size_t namescap;
};

static int
grow(void **p, size_t *cap, size_t need, size_t size)
{
	size_t c = *cap ? *cap : 16;
	void *q;

	if (need <= *cap)
		return 0;
	while (c < need)
		c *= 2;
	if ((q = realloc(*p, c * size)) == NULL)
		return -1;
	*p = q;
	*cap = c;
	return 0;
}

static int
is_image_name(const char *name)
{
	static const char *ext[] = { "jpg", "jpeg", "jpe", "jfif", "png", "gif", "webp",
	                             "tif", "tiff", "heic", "heif", "avif" };
	const char *dot = strrchr(name, '.');

	if (dot == NULL || dot == name)
		return 0;
	for (size_t i = 0; i < sizeof ext / sizeof ext[0]; i++)
		if (strcasecmp(dot + 1, ext[i]) == 0)
			return 1;
	return 0;
}

static int
add(struct tl_walk *w, const char *id, size_t idlen, const char *label, int err)
{
	struct entry *e;

	if (grow((void **)&w->e, &w->cap, w->n + 1, sizeof *w->e) != 0)
		return -1;
	e = &w->e[w->n];
	e->err = err;
	e->label = NULL;
	if ((e->id = strndup(id, idlen)) == NULL)
		return -1;
	if (label != NULL && (e->label = strdup(label)) == NULL) {
		free(e->id);
		return -1;
	}
	w->n++;
	return 0;
}

static int
cmp_entry(const void *a, const void *b)
{
	return strcmp(((const struct entry *)a)->id, ((const struct entry *)b)->id);
}

/* Lists directory root/rel ("" for the root itself) into w->e.  -1 with err
 * only when out of memory or the root cannot be opened. */
static int
scan(struct tl_walk *w, const char *rel, struct tl_err *err)
{
	char path[4096], sub[4096];
	struct dirent *de;
	struct stat st;
	DIR *d;
	int r = 0;

	snprintf(path, sizeof path, "%s%s%s", w->root, *rel ? "/" : "", rel);
	if ((d = opendir(path)) == NULL) {
		if (*rel == '\0')
			return tl_err_set(err, "%s", strerror(errno));
		return add(w, rel, strlen(rel), NULL, errno);
	}
	while (r == 0 && (de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' || strcmp(de->d_name, "__MACOSX") == 0)
			continue;
		if ((size_t)snprintf(sub, sizeof sub, "%s%s%s", rel, *rel ? "/" : "",
		                     de->d_name) >= sizeof sub)
			continue;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
			if (is_image_name(de->d_name))
				r = add(w, sub, strlen(sub), NULL, errno);
			continue;
		}
		if (S_ISDIR(st.st_mode)) {
			r = scan(w, sub, err);
			continue;
		}
		if (!is_image_name(de->d_name))
			continue;
		if (S_ISLNK(st.st_mode) && fstatat(dirfd(d), de->d_name, &st, 0) != 0)
			r = add(w, sub, strlen(sub), NULL, errno);
		else if (S_ISREG(st.st_mode))
			r = add(w, sub, strlen(sub), NULL, 0);
	}
	closedir(d);
	if (r != 0)
		return tl_err_set(err, "out of memory");
	return 0;
}

static int
read_list(struct tl_walk *w, const char *path, struct tl_err *err)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
	char *line = NULL, *tab;
	size_t cap = 0;
	ssize_t len;
	int r = 0;

	if (f == NULL)
		return tl_err_set(err, "%s", strerror(errno));
	while (r == 0 && (len = getline(&line, &cap, f)) >= 0) {
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		if (len == 0)
			continue;
		if ((tab = strchr(line, '\t')) != NULL)
			*tab++ = '\0';
		if (*line == '\0')
			continue;
		r = add(w, line, strlen(line), tab != NULL && *tab ? tab : NULL, 0);
	}
	if (r == 0 && ferror(f))
		r = tl_err_set(err, "%s", strerror(errno));
	else if (r != 0)
		tl_err_set(err, "out of memory");
	free(line);
	if (f != stdin)
		fclose(f);
	return r;
}

/* An archive, judged from its first bytes: the compressed or archive formats
 * libarchive reads.  Anything else given as a file is a single image. */
static int
is_archive(const char *path)
{
	unsigned char b[512];
	size_t n;
	FILE *f = fopen(path, "rb");

	if (f == NULL)
		return 0;
	n = fread(b, 1, sizeof b, f);
	fclose(f);
	return (n >= 2 && b[0] == 0x1f && (b[1] == 0x8b || b[1] == 0x9d)) || /* gzip, Z */
	       (n >= 3 && memcmp(b, "BZh", 3) == 0) ||
	       (n >= 6 && memcmp(b, "\xfd" "7zXZ\0", 6) == 0) ||
	       (n >= 4 && memcmp(b, "\x28\xb5\x2f\xfd", 4) == 0) || /* zstd */
	       (n >= 4 && memcmp(b, "\x04\x22\x4d\x18", 4) == 0) || /* lz4 */
	       (n >= 4 && (memcmp(b, "PK\3\4", 4) == 0 || memcmp(b, "PK\5\6", 4) == 0)) ||
	       (n >= 6 && memcmp(b, "7z\xbc\xaf\x27\x1c", 6) == 0) ||
	       (n >= 4 && memcmp(b, "Rar!", 4) == 0) ||
	       (n >= 6 && (memcmp(b, "070707", 6) == 0 || memcmp(b, "070701", 6) == 0 ||
	                   memcmp(b, "070702", 6) == 0)) ||
	       (n >= 262 && memcmp(b + 257, "ustar", 5) == 0);
}

struct tl_walk *
tl_walk_open(const char *path, int list, const struct tl_walk_opts *o, struct tl_err *err)
{
	struct tl_walk *w = calloc(1, sizeof *w);
	struct stat st;
	size_t n;

	if (w == NULL || (w->root = strdup(path)) == NULL) {
		free(w);
		tl_err_set(err, "out of memory");
		return NULL;
	}
	w->label = o->label;
	w->max_bytes = o->max_bytes;
	if (list) {
		w->kind = W_LIST;
		if (read_list(w, path, err) != 0)
			goto fail;
	} else if (stat(path, &st) != 0) {
		tl_err_set(err, "%s", strerror(errno));
		goto fail;
	} else if (S_ISDIR(st.st_mode)) {
		w->kind = W_DIR;
		for (n = strlen(w->root); n > 1 && w->root[n - 1] == '/'; n--)
			w->root[n - 1] = '\0';
		if (scan(w, "", err) != 0)
			goto fail;
	} else if (is_archive(path)) {
		w->kind = W_ARCHIVE;
		if ((w->ar = archive_read_new()) == NULL) {
			tl_err_set(err, "out of memory");
			goto fail;
		}
		archive_read_support_filter_all(w->ar);
		archive_read_support_format_all(w->ar);
		if (archive_read_open_filename(w->ar, path, 1 << 16) != ARCHIVE_OK) {
			tl_err_set(err, "%s", archive_error_string(w->ar));
			goto fail;
		}
	} else {
		w->kind = W_FILE;
		if (add(w, path, strlen(path), NULL, 0) != 0) {
			tl_err_set(err, "out of memory");
			goto fail;
		}
	}
	if (w->kind != W_ARCHIVE)
		qsort(w->e, w->n, sizeof *w->e, cmp_entry);
	return w;
fail:
	tl_walk_close(w);
	return NULL;
}

/* Sets the current item's names: src = a sep b; label may be NULL (none,
 * unless the walk forces one). */
static int
set_names(struct tl_walk *w, struct tl_item *it, const char *a, const char *sep,
          const char *b, const char *id, const char *label, size_t labellen)
{
	size_t ls = strlen(a) + strlen(sep) + strlen(b), li = strlen(id);
	char *p;

	if (grow((void **)&w->names, &w->namescap, ls + li + labellen + 3, 1) != 0)
		return -1;
	p = w->names;
	snprintf(p, ls + 1, "%s%s%s", a, sep, b);
	memcpy(p + ls + 1, id, li + 1);
	it->src = p;
	it->id = p + ls + 1;
	it->label = w->label;
	if (w->label == NULL && label != NULL) {
		memcpy(p + ls + li + 2, label, labellen);
		p[ls + li + 2 + labellen] = '\0';
		it->label = p + ls + li + 2;
	}
	return 0;
}

/* Reads the file at it->src into w->buf.  0 or -1 (err). */
static int
read_file(struct tl_walk *w, struct tl_item *it, struct tl_err *err)
{
	struct stat st;
	size_t n = 0;
	ssize_t k;
	int fd;

	if ((fd = open(it->src, O_RDONLY | O_CLOEXEC)) < 0)
		return tl_err_set(err, "%s", strerror(errno));
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return tl_err_set(err, "not a regular file");
	}
	if ((unsigned long long)st.st_size > w->max_bytes) {
		close(fd);
		return tl_err_set(err, "file too large (%lld bytes)", (long long)st.st_size);
	}
	for (;;) {
		if (grow((void **)&w->buf, &w->bufcap, n + 65536, 1) != 0) {
			close(fd);
			return tl_err_set(err, "out of memory");
		}
		if ((k = read(fd, w->buf + n, w->bufcap - n)) < 0) {
			if (errno == EINTR)
				continue;
			close(fd);
			return tl_err_set(err, "%s", strerror(errno));
		}
		if (k == 0)
			break;
		n += k;
		if (n > w->max_bytes) {
			close(fd);
			return tl_err_set(err, "file too large (over %zu bytes)", w->max_bytes);
		}
	}
	close(fd);
	it->data = w->buf;
	it->len = n;
	return 0;
}

static int
next_listed(struct tl_walk *w, struct tl_item *it, struct tl_err *err)
{
	struct entry *e;
	const char *slash;
	int r;

	if (w->next >= w->n)
		return 0;
	e = &w->e[w->next++];
	if (w->kind == W_DIR) {
		slash = strchr(e->id, '/');
		r = set_names(w, it, w->root, w->root[strlen(w->root) - 1] == '/' ? "" : "/",
		              e->id, e->id, slash ? e->id : NULL,
		              slash ? (size_t)(slash - e->id) : 0);
	} else {
		r = set_names(w, it, e->id, "", "", e->id, e->label,
		              e->label ? strlen(e->label) : 0);
	}
	if (r != 0)
		return tl_err_set(err, "out of memory");
	if (e->err != 0)
		return tl_err_set(err, "%s", strerror(e->err));
	return read_file(w, it, err) == 0 ? 1 : -1;
}

static int
next_member(struct tl_walk *w, struct tl_item *it, struct tl_err *err)
{
	struct archive_entry *ae;
	const char *name, *p, *slash;
	size_t n = 0;
	la_ssize_t k;
	int r, skip;

	while (!w->done) {
		r = archive_read_next_header(w->ar, &ae);
		if (r == ARCHIVE_EOF) {
			w->done = 1;
			break;
		}
		if (r == ARCHIVE_FATAL) {
			w->done = 1;
			it->src = w->root;
			it->id = w->root;
			it->label = NULL;
			return tl_err_set(err, "%s", archive_error_string(w->ar));
		}
		if (r < ARCHIVE_WARN || archive_entry_filetype(ae) != AE_IFREG)
			continue;
		if ((name = archive_entry_pathname(ae)) == NULL)
			continue;
		while (*name == '/' || (name[0] == '.' && name[1] == '/'))
			name += name[0] == '/' ? 1 : 2;
		skip = !is_image_name(name);
		for (p = name; !skip && p != NULL; p = strchr(p, '/'), p = p ? p + 1 : p)
			skip = *p == '.' || strncmp(p, "__MACOSX/", 9) == 0;
		if (skip)
			continue;
		slash = strchr(name, '/');
		if (set_names(w, it, w->root, "!", name, name, slash ? name : NULL,
		              slash ? (size_t)(slash - name) : 0) != 0)
			return tl_err_set(err, "out of memory");
		if (archive_entry_size_is_set(ae) &&
		    (unsigned long long)archive_entry_size(ae) > w->max_bytes)
			return tl_err_set(err, "file too large (%lld bytes)",
			                  (long long)archive_entry_size(ae));
		for (;;) {
			if (grow((void **)&w->buf, &w->bufcap, n + 65536, 1) != 0)
				return tl_err_set(err, "out of memory");
			k = archive_read_data(w->ar, w->buf + n, w->bufcap - n);
			if (k == 0)
				break;
			if (k < 0) {
				if (k == ARCHIVE_FATAL)
					w->done = 1;
				return tl_err_set(err, "%s", archive_error_string(w->ar));
			}
			n += k;
			if (n > w->max_bytes)
				return tl_err_set(err, "file too large (over %zu bytes)",
				                  w->max_bytes);
		}
		it->data = w->buf;
		it->len = n;
		return 1;
	}
	return 0;
}

int
tl_walk_next(struct tl_walk *w, struct tl_item *it, struct tl_err *err)
{
	it->data = NULL;
	it->len = 0;
	if (w->kind == W_ARCHIVE)
		return next_member(w, it, err);
	return next_listed(w, it, err);
}

long long
tl_walk_count(const struct tl_walk *w)
{
	return w->kind == W_ARCHIVE ? -1 : (long long)w->n;
}

void
tl_walk_close(struct tl_walk *w)
{
	if (w == NULL)
		return;
	for (size_t i = 0; i < w->n; i++) {
		free(w->e[i].id);
		free(w->e[i].label);
	}
	free(w->e);
	if (w->ar != NULL)
		archive_read_free(w->ar);
	free(w->root);
	free(w->buf);
	free(w->names);
	free(w);
}
