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
 * Every item is read in two steps: its first TL_WALK_HEAD bytes with its
 * names (tl_walk_next), the rest only when the caller asks (tl_walk_read),
 * so a large file that is not an image costs a few kilobytes to refuse.
 *
 * Standard input and other pipes are read once, as a stream: their first
 * bytes are read to tell an archive from a file list (or, for a path, from a
 * single file), and handed back to whoever reads the rest (libarchive
 * through a read callback, the list through fopencookie).
 *
 * Split folders (walk.h): a directory's are known once it is listed, so a
 * class folder beside them is warned of wherever it sorts; an archive's only
 * as its members come.  The folders already warned of are a GLib hash set
 * of names, one per top folder at most.
 *
 * Not here: any judgement of the bytes (image.h does that).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <glib.h>

#include "core/hash.h"
#include "data/walk.h"

enum kind { W_DIR, W_LIST, W_ARCHIVE, W_FILE };

/* Where the current item's bytes come from. */
enum cur { C_NONE, C_FD, C_STREAM, C_MEMBER, C_LAZY };
/* C_LAZY: a file of a directory or list stat'ed, not yet opened (opts->lazy) */

#define PEEK 512     /* bytes read to recognise an archive (tar's magic is at 257) */
#define BLOCK 65536  /* libarchive's reads from a stream */

struct entry {
	char *id;    /* owned */
	char *label; /* owned; NULL: none (or from the path, for a directory) */
	int err;     /* errno found while listing, 0 if none */
};

struct tl_walk {
	enum kind kind;
	char *root; /* the path as given (a directory without its trailing '/'),
	               "stdin" for standard input */
	const char *label, *max_name;
	size_t max_bytes;
	unsigned shard, nshards; /* nshards > 1: take only shard's items */
	int lazy;                /* opts->lazy: no bytes read by tl_walk_next */
	struct entry *e;
	size_t n, cap, next;
	struct archive *ar;
	int done;
	/* a stream (standard input, a pipe): pre[preoff..npre) was read to
	   recognise it and comes first, then sfd */
	int sfd, sfd_own;
	unsigned char *pre, *block;
	size_t npre, preoff;
	/* the current item: have bytes of it in buf, eof when that is all */
	enum cur cur;
	int fd, eof;
	size_t have;
	long long size;
	unsigned char *buf; /* grows to the largest file */
	size_t bufcap;
	char *names; /* src\0id\0label\0 of the current item */
	size_t namescap;
	char *idbuf; /* an archive member's id */
	size_t idcap;
	/* split folders: recognised (split_folders), some seen (has_split: for
	   a directory, any; for an archive, so far), the top folders warned of */
	int split_folders, has_split;
	GHashTable *warned;
	char *note;
};

static const char *split_name(const char *s, size_t n);

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

unsigned
tl_walk_shard(const char *id, unsigned nshards)
{
	uint64_t z = tl_hash_fnv1a64(id, strlen(id));

	/* FNV's low bits follow the last bytes too closely for a modulus
	   ("a1.jpg", "a2.jpg", ...): mixed first */
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	z ^= z >> 31;
	return nshards > 1 ? (unsigned)(z % nshards) : 0;
}

static int
in_shard(const struct tl_walk *w, const char *id)
{
	return w->nshards <= 1 || tl_walk_shard(id, w->nshards) == w->shard;
}

/* Drops the listed entries of other shards. */
static void
keep_shard(struct tl_walk *w)
{
	size_t k = 0;

	for (size_t i = 0; i < w->n; i++) {
		if (in_shard(w, w->e[i].id)) {
			w->e[k++] = w->e[i];
		} else {
			free(w->e[i].id);
			free(w->e[i].label);
		}
	}
	w->n = k;
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

/* Reads the file list f into w->e. */
static int
read_list(struct tl_walk *w, FILE *f, struct tl_err *err)
{
	char *line = NULL, *tab;
	size_t cap = 0;
	ssize_t len;
	int r = 0;

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
	return r;
}

/* An archive, judged from its first bytes b[0..n): the compressed or
 * archive formats libarchive reads.  Anything else given as a file is a
 * single image; on standard input, a file list. */
static int
is_archive(const unsigned char *b, size_t n)
{
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

/* Reads up to n bytes of the stream: what was peeked first, then sfd.
 * Returns the count, 0 at the end, -1 (errno). */
static ssize_t
stream_read(struct tl_walk *w, void *p, size_t n)
{
	ssize_t k;

	if (w->preoff < w->npre) {
		k = (ssize_t)(n < w->npre - w->preoff ? n : w->npre - w->preoff);
		memcpy(p, w->pre + w->preoff, k);
		w->preoff += k;
		return k;
	}
	do
		k = read(w->sfd, p, n);
	while (k < 0 && errno == EINTR);
	return k;
}

/* libarchive's read callback over the stream. */
static la_ssize_t
archive_read_stream(struct archive *a, void *client, const void **buf)
{
	struct tl_walk *w = client;
	ssize_t k;

	if (w->preoff < w->npre) {
		*buf = w->pre + w->preoff;
		k = (ssize_t)(w->npre - w->preoff);
		w->preoff = w->npre;
		return k;
	}
	*buf = w->block;
	if ((k = stream_read(w, w->block, BLOCK)) < 0)
		archive_set_error(a, errno, "%s", strerror(errno));
	return k;
}

/* fopencookie's read over the stream, for a file list. */
static ssize_t
cookie_read(void *client, char *p, size_t n)
{
	return stream_read(client, p, n);
}

static struct archive *
archive_new(struct tl_err *err)
{
	struct archive *ar = archive_read_new();

	if (ar == NULL) {
		tl_err_set(err, "out of memory");
		return NULL;
	}
	archive_read_support_filter_all(ar);
	archive_read_support_format_all(ar);
	return ar;
}

/* Reads the stream fd (closed at the end when own): an archive when its
 * first bytes say so, else a file list (when list, and those bytes hold no
 * NUL: text) or a single file named by w->root. */
static int
open_stream(struct tl_walk *w, int fd, int own, int list, struct tl_err *err)
{
	cookie_io_functions_t io = { .read = cookie_read };
	struct stat st;
	ssize_t k;
	FILE *f;
	int r;

	w->sfd = fd;
	w->sfd_own = own;
	if ((w->pre = malloc(PEEK)) == NULL || (w->block = malloc(BLOCK)) == NULL)
		return tl_err_set(err, "out of memory");
	while (w->npre < PEEK) {
		if ((k = read(fd, w->pre + w->npre, PEEK - w->npre)) < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return tl_err_set(err, "%s", strerror(errno));
		if (k == 0)
			break;
		w->npre += k;
	}
	if (is_archive(w->pre, w->npre)) {
		w->kind = W_ARCHIVE;
		if ((w->ar = archive_new(err)) == NULL)
			return -1;
		/* a regular file on standard input (tl-ingest - <a.7z) can seek:
		   back to its start, and libarchive reads it as a file */
		if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
		    lseek(fd, 0, SEEK_CUR) == (off_t)w->npre && lseek(fd, 0, SEEK_SET) == 0)
			r = archive_read_open_fd(w->ar, fd, BLOCK);
		else
			r = archive_read_open(w->ar, w, NULL, archive_read_stream, NULL);
		if (r != ARCHIVE_OK)
			return tl_err_set(err, "%s", archive_error_string(w->ar));
		return 0;
	}
	if (!list || memchr(w->pre, '\0', w->npre) != NULL) {
		w->kind = W_FILE;
		if (add(w, w->root, strlen(w->root), NULL, 0) != 0)
			return tl_err_set(err, "out of memory");
		return 0;
	}
	w->kind = W_LIST;
	if ((f = fopencookie(w, "r", io)) == NULL)
		return tl_err_set(err, "%s", strerror(errno));
	r = read_list(w, f, err);
	fclose(f);
	return r;
}

static struct tl_walk *
walk_new(const char *root, const struct tl_walk_opts *o, struct tl_err *err)
{
	struct tl_walk *w = calloc(1, sizeof *w);

	if (w == NULL || (w->root = strdup(root)) == NULL) {
		free(w);
		tl_err_set(err, "out of memory");
		return NULL;
	}
	w->label = o->label;
	w->split_folders = !o->no_split_folders;
	w->max_bytes = o->max_bytes;
	w->max_name = o->max_name != NULL ? o->max_name : "the limit";
	w->shard = o->shard;
	w->nshards = o->nshards;
	w->lazy = o->lazy;
	w->sfd = w->fd = -1;
	return w;
}

struct tl_walk *
tl_walk_open(const char *path, int list, const struct tl_walk_opts *o, struct tl_err *err)
{
	int in = strcmp(path, "-") == 0, fd, r = 0;
	struct tl_walk *w = walk_new(in ? "stdin" : path, o, err);
	unsigned char head[PEEK];
	struct stat st;
	ssize_t n;
	FILE *f;

	if (w == NULL)
		return NULL;
	if (list) {
		w->kind = W_LIST;
		if ((f = in ? stdin : fopen(path, "r")) == NULL)
			r = tl_err_set(err, "%s", strerror(errno));
		else
			r = read_list(w, f, err);
		if (f != NULL && f != stdin)
			fclose(f);
	} else if (in) {
		r = open_stream(w, STDIN_FILENO, 0, 1, err);
	} else if (stat(path, &st) != 0) {
		r = tl_err_set(err, "%s", strerror(errno));
	} else if (S_ISDIR(st.st_mode)) {
		w->kind = W_DIR;
		for (n = strlen(w->root); n > 1 && w->root[n - 1] == '/'; n--)
			w->root[n - 1] = '\0';
		r = scan(w, "", err);
		for (size_t i = 0; r == 0 && i < w->n && w->split_folders; i++) {
			const char *slash = strchr(w->e[i].id, '/');
			if (slash && split_name(w->e[i].id, (size_t)(slash - w->e[i].id)))
				w->has_split = 1;
		}
	} else if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		r = tl_err_set(err, "%s", strerror(errno));
	} else if (!S_ISREG(st.st_mode)) { /* a pipe, a device: read once */
		r = open_stream(w, fd, 1, 0, err);
	} else if ((n = pread(fd, head, sizeof head, 0)) >= 0 && is_archive(head, n)) {
		close(fd);
		w->kind = W_ARCHIVE;
		if ((w->ar = archive_new(err)) == NULL)
			r = -1;
		else if (archive_read_open_filename(w->ar, path, BLOCK) != ARCHIVE_OK)
			r = tl_err_set(err, "%s", archive_error_string(w->ar));
	} else {
		close(fd);
		w->kind = W_FILE;
		if (add(w, path, strlen(path), NULL, 0) != 0)
			r = tl_err_set(err, "out of memory");
	}
	if (r != 0) {
		tl_walk_close(w);
		return NULL;
	}
	if (w->n > 0) /* qsort may not be given NULL, even for no element */
		qsort(w->e, w->n, sizeof *w->e, cmp_entry);
	keep_shard(w);
	return w;
}

struct tl_walk *
tl_walk_open_mem(const void *buf, size_t len, const char *name, const struct tl_walk_opts *o,
                 struct tl_err *err)
{
	struct tl_walk *w = walk_new(name, o, err);

	if (w == NULL)
		return NULL;
	w->kind = W_ARCHIVE;
	if ((w->ar = archive_new(err)) == NULL ||
	    (archive_read_open_memory(w->ar, buf, len) != ARCHIVE_OK &&
	     tl_err_set(err, "%s", archive_error_string(w->ar)))) {
		tl_walk_close(w);
		return NULL;
	}
	return w;
}

/* The split a top folder named s[0..n) stands for, or NULL. */
static const char *
split_name(const char *s, size_t n)
{
	static const char *name[][2] = { { "train", "train" }, { "val", "val" },
	                                 { "valid", "val" }, { "validation", "val" },
	                                 { "test", "test" } };

	for (size_t i = 0; i < sizeof name / sizeof name[0]; i++)
		if (strlen(name[i][0]) == n && strncasecmp(s, name[i][0], n) == 0)
			return name[i][1];
	return NULL;
}

/* Sets w->note to "ROOT sep FOLDER: " and fmt when top folder id[0..n)
 * has had no note yet.  -1 when out of memory. */
static int
__attribute__((format(printf, 5, 6)))
note_once(struct tl_walk *w, const char *id, size_t n, const char *sep, const char *fmt, ...)
{
	char *folder, *msg;
	va_list ap;

	if (w->warned == NULL &&
	    (w->warned = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL)) == NULL)
		return -1;
	if ((folder = g_strndup(id, n)) == NULL)
		return -1;
	if (g_hash_table_contains(w->warned, folder)) {
		g_free(folder);
		return 0;
	}
	g_hash_table_add(w->warned, folder);
	va_start(ap, fmt);
	msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	g_free(w->note);
	w->note = g_strdup_printf("%s%s%s: %s", w->root, sep, folder, msg);
	g_free(msg);
	return 0;
}

/* The label (label[0..*len), or NULL) and split (or NULL) of directory or
 * archive id by walk.h's rules, with the note of its top folder the first
 * time it needs one; sep joins the root and the folder in the note.  -1
 * when out of memory. */
static int
place(struct tl_walk *w, const char *id, const char *sep, const char **label, size_t *len,
      const char **split)
{
	const char *slash = strchr(id, '/'), *sp, *sub;
	size_t n;

	*label = NULL;
	*len = 0;
	*split = NULL;
	if (slash == NULL) /* directly in the root */
		return 0;
	n = (size_t)(slash - id);
	sp = split_name(id, n);
	if (sp != NULL && w->split_folders) {
		w->has_split = 1;
		*split = sp;
		if ((sub = strchr(slash + 1, '/')) != NULL) {
			*label = slash + 1;
			*len = (size_t)(sub - slash - 1);
			return 0;
		}
		if (w->label != NULL)
			return 0;
		return note_once(w, id, n, sep, "images directly in a split folder, not in "
		                 "class folders: split %s, no label", sp);
	}
	*label = id;
	*len = n;
	if (sp != NULL && w->label == NULL)
		return note_once(w, id, n, sep, "label '%.*s' is a split name "
		                 "(split folders not recognised: --no-split-folders)", (int)n, id);
	if (w->split_folders && w->has_split)
		return note_once(w, id, n, sep, "a class folder beside split folders: "
		                 "its images get no split");
	return 0;
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

/* Closes the current item's file, if any. */
static void
end_item(struct tl_walk *w)
{
	if (w->cur == C_FD && w->fd >= 0)
		close(w->fd);
	w->fd = -1;
	w->cur = C_NONE;
}

/* Reads the current item into w->buf until it holds want bytes or the item
 * ends (w->eof).  TL_OK, TL_SKIP or TL_NOMEM (err). */
static int
fill(struct tl_walk *w, size_t want, struct tl_err *err)
{
	la_ssize_t k;

	while (!w->eof && w->have < want) {
		size_t room;

		if (w->have == w->bufcap &&
		    grow((void **)&w->buf, &w->bufcap, w->have + BLOCK, 1) != 0)
			return tl_err_set(err, "out of memory"), TL_NOMEM;
		room = w->bufcap - w->have < want - w->have ? w->bufcap - w->have : want - w->have;
		if (w->cur == C_MEMBER)
			k = archive_read_data(w->ar, w->buf + w->have, room);
		else if (w->cur == C_STREAM)
			k = stream_read(w, w->buf + w->have, room);
		else
			do
				k = read(w->fd, w->buf + w->have, room);
			while (k < 0 && errno == EINTR);
		if (k < 0) {
			w->eof = 1;
			if (w->cur != C_MEMBER)
				return tl_err_set(err, "%s", strerror(errno));
			if (k == ARCHIVE_FATAL)
				w->done = 1;
			return tl_err_set(err, "%s", archive_error_string(w->ar));
		}
		if (k == 0)
			w->eof = 1;
		w->have += k;
	}
	return 0;
}

/* Starts the item whose source w->cur says (size: declared, or -1) and
 * reads its first bytes into it.  1, or fill's TL_SKIP or TL_NOMEM (err). */
static int
head(struct tl_walk *w, struct tl_item *it, long long size, struct tl_err *err)
{
	int r;

	w->have = 0;
	w->eof = 0;
	it->size = size;
	if (w->lazy)
		return 1;
	if ((r = fill(w, TL_WALK_HEAD, err)) != TL_OK)
		return r;
	it->data = w->buf;
	it->len = w->have;
	return 1;
}

/* tl_walk_next of a directory, list or file: 1, 0, TL_SKIP or TL_NOMEM. */
static int
next_listed(struct tl_walk *w, struct tl_item *it, struct tl_err *err)
{
	struct entry *e;
	const char *label, *split, *sep;
	size_t len;
	struct stat st;
	int r, fd;

	if (w->next >= w->n)
		return 0;
	e = &w->e[w->next++];
	if (w->kind == W_DIR) {
		sep = w->root[strlen(w->root) - 1] == '/' ? "" : "/";
		r = place(w, e->id, sep, &label, &len, &split);
		if (r == 0)
			r = set_names(w, it, w->root, sep, e->id, e->id, label, len);
		it->split = split;
	} else {
		r = set_names(w, it, e->id, "", "", e->id, e->label,
		              e->label ? strlen(e->label) : 0);
	}
	if (r != 0)
		return tl_err_set(err, "out of memory"), TL_NOMEM;
	if (e->err != 0)
		return tl_err_set(err, "%s", strerror(e->err));
	if (w->kind == W_FILE && w->sfd >= 0) { /* the single file of a stream */
		w->cur = C_STREAM;
		return head(w, it, -1, err);
	}
	if (w->lazy) { /* opened by tl_walk_read, if the caller wants the bytes */
		if (stat(it->src, &st) != 0)
			return tl_err_set(err, "%s", strerror(errno));
		if (!S_ISREG(st.st_mode))
			return tl_err_set(err, "not a regular file");
		it->mtime = (long long)st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec;
		w->cur = C_LAZY;
		return head(w, it, (long long)st.st_size, err);
	}
	if ((fd = open(it->src, O_RDONLY | O_CLOEXEC)) < 0)
		return tl_err_set(err, "%s", strerror(errno));
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return tl_err_set(err, "not a regular file");
	}
	w->fd = fd;
	w->cur = C_FD;
	it->mtime = (long long)st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec;
	return head(w, it, (long long)st.st_size, err);
}

/* The id of archive member path name into w->idbuf: its components but the
 * empty and "." ones, joined by '/'.  0: take it; 1: skip it silently (not
 * an image name, or a hidden or __MACOSX component); 2: it has a ".."
 * component; -1: out of memory. */
static int
member_id(struct tl_walk *w, const char *name)
{
	const char *p, *q, *base;
	size_t n = 0, k;
	int dotdot = 0;

	if (grow((void **)&w->idbuf, &w->idcap, strlen(name) + 1, 1) != 0)
		return -1;
	for (p = name; *p != '\0'; p = *q ? q + 1 : q) {
		q = strchrnul(p, '/');
		k = (size_t)(q - p);
		if (k == 0 || (k == 1 && p[0] == '.'))
			continue;
		if (k == 2 && p[0] == '.' && p[1] == '.') {
			dotdot = 1;
			continue;
		}
		if (p[0] == '.' || (k == 8 && memcmp(p, "__MACOSX", 8) == 0))
			return 1;
		if (n > 0)
			w->idbuf[n++] = '/';
		memcpy(w->idbuf + n, p, k);
		n += k;
	}
	w->idbuf[n] = '\0';
	base = strrchr(w->idbuf, '/');
	if (n == 0 || !is_image_name(base ? base + 1 : w->idbuf))
		return 1;
	return dotdot ? 2 : 0;
}

/* tl_walk_next of an archive: 1, 0, TL_SKIP or TL_NOMEM. */
static int
next_member(struct tl_walk *w, struct tl_item *it, struct tl_err *err)
{
	struct archive_entry *ae;
	const char *name, *label, *split;
	size_t len;
	int r;

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
			if (w->pre != NULL && w->npre >= 6 && memcmp(w->pre, "7z\xbc\xaf\x27\x1c", 6) == 0)
				return tl_err_set(err, "a 7z archive is read from a file, not a pipe (%s)",
				                  archive_error_string(w->ar));
			return tl_err_set(err, "%s", archive_error_string(w->ar));
		}
		if (r < ARCHIVE_WARN || archive_entry_filetype(ae) != AE_IFREG)
			continue;
		if ((name = archive_entry_pathname(ae)) == NULL)
			continue;
		if ((r = member_id(w, name)) < 0)
			return tl_err_set(err, "out of memory"), TL_NOMEM;
		if (r == 1 || !in_shard(w, w->idbuf))
			continue;
		if (place(w, w->idbuf, "!", &label, &len, &split) != 0 ||
		    set_names(w, it, w->root, "!", name, w->idbuf, label, len) != 0)
			return tl_err_set(err, "out of memory"), TL_NOMEM;
		it->split = split;
		if (r == 2)
			return tl_err_set(err, "member path has a '..' component");
		w->cur = C_MEMBER;
		if (archive_entry_mtime_is_set(ae))
			it->mtime = (long long)archive_entry_mtime(ae) * 1000000000LL +
			            archive_entry_mtime_nsec(ae);
		return head(w, it, archive_entry_size_is_set(ae) ?
		            (long long)archive_entry_size(ae) : -1, err);
	}
	return 0;
}

void
tl_walk_bytes(char *buf, size_t cap, unsigned long long n)
{
	static const char *unit[] = { "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
	double v = (double)n;
	int u = -1;

	if (n < 10240) {
		snprintf(buf, cap, "%llu bytes", n);
		return;
	}
	while (v >= 1024 && u < 5) {
		v /= 1024;
		u++;
	}
	if (n % (1ULL << (10 * (u + 1))) == 0)
		snprintf(buf, cap, "%.0f %s", v, unit[u]);
	else
		snprintf(buf, cap, "%.1f %s", v, unit[u]);
}

int
tl_walk_read(struct tl_walk *w, struct tl_item *it, struct tl_err *err)
{
	char a[32], b[32];
	int r;

	if (w->cur == C_LAZY) { /* the file is opened now: its size and mtime may have moved */
		struct stat st;
		if ((w->fd = open(it->src, O_RDONLY | O_CLOEXEC)) < 0) {
			w->cur = C_NONE;
			return tl_err_set(err, "%s", strerror(errno)), TL_SKIP;
		}
		w->cur = C_FD;
		if (fstat(w->fd, &st) != 0 || !S_ISREG(st.st_mode))
			return tl_err_set(err, "not a regular file"), TL_SKIP;
		it->size = (long long)st.st_size;
		it->mtime = (long long)st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec;
	}
	tl_walk_bytes(b, sizeof b, w->max_bytes);
	if (it->size >= 0 && (unsigned long long)it->size > w->max_bytes) {
		tl_walk_bytes(a, sizeof a, (unsigned long long)it->size);
		return tl_err_set(err, "file of %s passes %s (%s)", a, w->max_name, b), TL_SKIP;
	}
	if ((r = fill(w, w->max_bytes < SIZE_MAX ? w->max_bytes + 1 : SIZE_MAX, err)) != TL_OK)
		return r;
	if (w->have > w->max_bytes)
		return tl_err_set(err, "file larger than %s (%s)", w->max_name, b), TL_SKIP;
	it->data = w->buf;
	it->len = w->have;
	return TL_OK;
}

int
tl_walk_next(struct tl_walk *w, struct tl_item *it, struct tl_err *err)
{
	int r;

	it->data = NULL;
	it->len = 0;
	it->size = -1;
	it->mtime = -1;
	it->split = NULL;
	it->note = NULL;
	end_item(w);
	g_free(w->note);
	w->note = NULL;
	r = w->kind == W_ARCHIVE ? next_member(w, it, err) : next_listed(w, it, err);
	it->note = w->note;
	return r < 0 && r != TL_NOMEM ? TL_SKIP : r;
}

long long
tl_walk_count(const struct tl_walk *w)
{
	return w->kind == W_ARCHIVE ? -1 : (long long)w->n;
}

long long
tl_walk_count_split(const struct tl_walk *w, const char *split)
{
	long long n = 0;

	if (w->kind == W_ARCHIVE)
		return -1;
	for (size_t i = 0; w->kind == W_DIR && w->split_folders && i < w->n; i++) {
		const char *slash = strchr(w->e[i].id, '/'), *sp;
		/* place()'s rule, without its notes */
		if (slash && (sp = split_name(w->e[i].id, (size_t)(slash - w->e[i].id))) &&
		    strcmp(sp, split) == 0)
			n++;
	}
	return n;
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
	end_item(w);
	if (w->ar != NULL)
		archive_read_free(w->ar);
	if (w->sfd_own && w->sfd >= 0)
		close(w->sfd);
	free(w->pre);
	free(w->block);
	free(w->root);
	free(w->buf);
	free(w->names);
	free(w->idbuf);
	if (w->warned != NULL)
		g_hash_table_destroy(w->warned);
	g_free(w->note);
	free(w);
}
