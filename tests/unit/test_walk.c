/*
 * test_walk.c - lib/walk on archives built here in memory (libarchive's
 * writer): member ids and the '..' rule, the two-step read (first bytes,
 * then the rest), the size limit, a broken archive, and the byte counts of
 * messages; and on a directory tree and a file list made in a temporary
 * directory: ids, labels, sorted order, hidden and non-image names skipped,
 * links, a list's TABs, a single file.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "data/walk.h"
#include "scratch.h"
#include "t.h"

/* A tar (pax) of the members name[i] of len[i] bytes (byte j is j % 251),
 * with their size in the header, or without it (zip, streamed) when zip.
 * Caller frees *out. */
static size_t
make_archive(int zip, const char *const *name, const size_t *len, int n, unsigned char **out)
{
	size_t cap = 1 << 20, used = 0;
	struct archive *a = archive_write_new();
	unsigned char *data = malloc(65536);

	*out = malloc(cap);
	for (int j = 0; j < 65536; j++)
		data[j] = (unsigned char)(j % 251);
	if (zip) {
		archive_write_set_format_zip(a);
		archive_write_set_options(a, "zip:compression=store");
	} else {
		archive_write_set_format_pax_restricted(a);
	}
	archive_write_open_memory(a, *out, cap, &used);
	for (int i = 0; i < n; i++) {
		struct archive_entry *e = archive_entry_new();

		archive_entry_set_pathname(e, name[i]);
		archive_entry_set_filetype(e, AE_IFREG);
		archive_entry_set_perm(e, 0644);
		if (!zip)
			archive_entry_set_size(e, (la_int64_t)len[i]);
		archive_write_header(a, e);
		archive_write_data(a, data, len[i]);
		archive_entry_free(e);
	}
	archive_write_close(a);
	archive_write_free(a);
	free(data);
	return used;
}

static void
test_members(void)
{
	static const char *const name[] = { "./a/x.png", "../up.png", "/b//./c.JPG",
	                                    "d/../e.png", ".git/f.png", "notes.txt", "g.png" };
	static const size_t len[] = { 10000, 10, 20, 30, 40, 50, 0 };
	struct tl_walk_opts o = { .max_bytes = 8000, .max_name = "LIMIT" };
	unsigned char *tar;
	size_t n = make_archive(0, name, len, 7, &tar);
	struct tl_walk *w = tl_walk_open_mem(tar, n, "t.tar", &o, NULL);
	struct tl_item it;
	struct tl_err err;

	T_OK("members: open", w != NULL);
	T_EQ_INT("members: count unknown", tl_walk_count(w), -1);
	T_EQ_INT("members: x", tl_walk_next(w, &it, &err), 1);
	T_EQ_STR("members: x id", it.id, "a/x.png");
	T_EQ_STR("members: x src", it.src, "t.tar!./a/x.png");
	T_EQ_STR("members: x label", it.label, "a");
	T_EQ_INT("members: x head", it.len, TL_WALK_HEAD);
	T_EQ_INT("members: x size", it.size, 10000);
	T_OK("members: x head bytes", it.data[4095] == 4095 % 251);
	T_EQ_INT("members: x over the limit", tl_walk_read(w, &it, &err), TL_SKIP);
	T_EQ_STR("members: x message", err.msg, "file of 10000 bytes passes LIMIT (8000 bytes)");
	T_EQ_INT("members: up", tl_walk_next(w, &it, &err), TL_SKIP);
	T_EQ_STR("members: up src", it.src, "t.tar!../up.png");
	T_EQ_STR("members: up message", err.msg, "member path has a '..' component");
	T_EQ_INT("members: c", tl_walk_next(w, &it, &err), 1);
	T_EQ_STR("members: c id", it.id, "b/c.JPG");
	T_EQ_STR("members: c label", it.label, "b");
	T_EQ_INT("members: c whole", tl_walk_read(w, &it, &err), TL_OK);
	T_EQ_INT("members: c len", it.len, 20);
	T_EQ_INT("members: d/../e", tl_walk_next(w, &it, &err), TL_SKIP);
	T_EQ_STR("members: d/../e src", it.src, "t.tar!d/../e.png");
	/* .git/f.png (hidden) and notes.txt are skipped silently */
	T_EQ_INT("members: g", tl_walk_next(w, &it, &err), 1);
	T_EQ_STR("members: g id", it.id, "g.png");
	T_OK("members: g no label", it.label == NULL);
	T_EQ_INT("members: g empty", it.len, 0);
	T_EQ_INT("members: end", tl_walk_next(w, &it, &err), 0);
	T_EQ_INT("members: still the end", tl_walk_next(w, &it, &err), 0);
	tl_walk_close(w);
	free(tar);
}

static void put(const char *rel, const char *text);

/* opts.lazy: no bytes before tl_walk_read, size and mtime given; for a
 * directory (tl-bulk's listing) and an archive. */
static void
test_lazy(void)
{
	static const char *const name[] = { "a/x.png", "b.png" };
	static const size_t len[] = { 5000, 7 };
	struct tl_walk_opts o = { .max_bytes = 1 << 20, .max_name = "LIMIT", .lazy = 1 };
	const char *d = scratch_new("test_walk_lazy");
	unsigned char *tar;
	size_t n = make_archive(0, name, len, 2, &tar);
	struct tl_walk *w = tl_walk_open_mem(tar, n, "t.tar", &o, NULL);
	struct tl_item it;
	struct tl_err err;
	struct stat st;
	char path[4200];

	T_OK("lazy: open the archive", w != NULL);
	T_EQ_INT("lazy: x", tl_walk_next(w, &it, &err), 1);
	T_OK("lazy: x, no bytes yet", it.data == NULL && it.len == 0);
	T_EQ_INT("lazy: x size", it.size, 5000);
	T_OK("lazy: x mtime from the header", it.mtime >= 0);
	/* b.png is reached without reading x: its bytes are passed over */
	T_EQ_INT("lazy: b", tl_walk_next(w, &it, &err), 1);
	T_EQ_STR("lazy: b id", it.id, "b.png");
	T_EQ_INT("lazy: b read", tl_walk_read(w, &it, &err), TL_OK);
	T_OK("lazy: b bytes", it.len == 7 && it.data[6] == 6);
	T_EQ_INT("lazy: archive end", tl_walk_next(w, &it, &err), 0);
	tl_walk_close(w);
	free(tar);
	if (d == NULL) {
		T_OK("lazy: mkdtemp", 0);
		return;
	}
	put("c/one.png", "12345");
	snprintf(path, sizeof path, "%s/c/one.png", d);
	T_OK("lazy: stat", stat(path, &st) == 0);
	w = tl_walk_open(d, 0, &o, &err);
	T_OK("lazy: open the folder", w != NULL);
	T_EQ_INT("lazy: one", tl_walk_next(w, &it, &err), 1);
	T_OK("lazy: one, no bytes yet", it.data == NULL && it.len == 0);
	T_EQ_INT("lazy: one size", it.size, 5);
	T_EQ_INT("lazy: one mtime", it.mtime, st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec);
	T_EQ_INT("lazy: one read", tl_walk_read(w, &it, &err), TL_OK);
	T_OK("lazy: one bytes", it.len == 5 && memcmp(it.data, "12345", 5) == 0);
	T_EQ_INT("lazy: folder end", tl_walk_next(w, &it, &err), 0);
	tl_walk_close(w);
	scratch_close(1);
}

/* A zip written without sizes in its local headers: in memory, libarchive
 * finds them in the central directory (a pipe does not: tests/cli/ingest.sh). */
static void
test_unsized(void)
{
	static const char *const name[] = { "big.png", "small.png" };
	static const size_t len[] = { 30000, 5000 };
	struct tl_walk_opts o = { .label = "L", .max_bytes = 20000, .max_name = "LIMIT" };
	unsigned char *zip;
	size_t n = make_archive(1, name, len, 2, &zip);
	struct tl_walk *w = tl_walk_open_mem(zip, n, "z.zip", &o, NULL);
	struct tl_item it;
	struct tl_err err;

	T_OK("unsized: open", w != NULL);
	T_EQ_INT("unsized: big", tl_walk_next(w, &it, &err), 1);
	T_EQ_STR("unsized: label from opts", it.label, "L");
	T_EQ_INT("unsized: big over the limit", tl_walk_read(w, &it, &err), TL_SKIP);
	T_EQ_STR("unsized: big message", err.msg, "file of 29.3 KiB passes LIMIT (19.5 KiB)");
	T_EQ_INT("unsized: small", tl_walk_next(w, &it, &err), 1);
	T_EQ_INT("unsized: small whole", tl_walk_read(w, &it, &err), TL_OK);
	T_OK("unsized: small bytes", it.len == 5000 && it.data[4999] == 4999 % 251);
	T_EQ_INT("unsized: end", tl_walk_next(w, &it, &err), 0);
	tl_walk_close(w);
	free(zip);
}

static void
test_broken(void)
{
	static const char *const name[] = { "a.png" };
	static const size_t len[] = { 3000 };
	struct tl_walk_opts o = { .max_bytes = 1 << 20, .max_name = "LIMIT" };
	unsigned char *tar;
	size_t n = make_archive(0, name, len, 1, &tar);
	struct tl_walk *w;
	struct tl_item it;
	struct tl_err err;

	/* cut in a.png's data (3000 bytes, padded to 3072, then 1024 of end):
	   libarchive says so at the member's first read */
	w = tl_walk_open_mem(tar, n - 1024 - 2072, "cut.tar", &o, &err);
	T_OK("broken: open", w != NULL);
	T_EQ_INT("broken: a", tl_walk_next(w, &it, &err), TL_SKIP);
	T_EQ_STR("broken: a src", it.src, "cut.tar!a.png");
	T_EQ_STR("broken: a message", err.msg, "Truncated tar archive");
	T_EQ_INT("broken: then done", tl_walk_next(w, &it, &err), 0);
	tl_walk_close(w);
	free(tar);
	T_OK("broken: not an archive",
	     tl_walk_open_mem("hello, world", 12, "x", &o, &err) == NULL);
}

static void
test_bytes(void)
{
	static const struct {
		unsigned long long n;
		const char *s;
	} c[] = { { 0, "0 bytes" },         { 10239, "10239 bytes" },
	          { 10240, "10 KiB" },      { 104857600, "100 MiB" },
	          { 1073741824, "1 GiB" },  { 1288490189, "1.2 GiB" },
	          { 1073741825, "1.0 GiB" } };
	char buf[32];

	for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
		tl_walk_bytes(buf, sizeof buf, c[i].n);
		T_EQ_STR(c[i].s, buf, c[i].s);
	}
}

/* Writes scratch_dir/rel holding text (its parent folders made first). */
static void
put(const char *rel, const char *text)
{
	if (spit(rel, text) != 0) {
		printf("FAIL put %s: %s\n", at(rel), strerror(errno));
		t_failed = 1;
	}
}

/* What walking one source should give, item by item. */
struct want {
	int rc;            /* tl_walk_next's: 1, or TL_SKIP */
	const char *id, *src, *label;
	const char *data;  /* the whole file after tl_walk_read, or the message */
};

/* Walks w to its end, comparing with want[0..n), then closes it. */
static void
check_walk(const char *name, struct tl_walk *w, const struct want *want, int n)
{
	struct tl_item it;
	struct tl_err err;
	char t[128];
	int rc;

	T_OK(name, w != NULL);
	if (w == NULL)
		return;
	T_EQ_INT(name, tl_walk_count(w), n);
	for (int i = 0; i < n; i++) {
		const struct want *x = &want[i];

		snprintf(t, sizeof t, "%s: item %d (%s)", name, i, x->id);
		T_EQ_INT(t, rc = tl_walk_next(w, &it, &err), x->rc);
		T_EQ_STR(t, it.id, x->id);
		T_EQ_STR(t, it.src, x->src);
		if (x->label == NULL)
			T_OK(t, it.label == NULL);
		else
			T_EQ_STR(t, it.label, x->label);
		if (rc == TL_SKIP) {
			T_EQ_STR(t, err.msg, x->data);
			continue;
		}
		T_EQ_INT(t, it.size, (long long)strlen(x->data));
		T_EQ_INT(t, tl_walk_read(w, &it, &err), TL_OK);
		T_OK(t, it.len == strlen(x->data) && memcmp(it.data, x->data, it.len) == 0);
	}
	snprintf(t, sizeof t, "%s: the end", name);
	T_EQ_INT(t, tl_walk_next(w, &it, &err), 0);
	tl_walk_close(w);
}

static void
test_dir(void)
{
	char root[4200], path[4200];
	const char *d = scratch_new("test_walk");
	struct tl_walk_opts o = { .max_bytes = 1 << 20, .max_name = "LIMIT" };
	struct tl_walk_opts lo = { .label = "L", .max_bytes = 1 << 20, .max_name = "LIMIT" };
	struct tl_err err;

	if (d == NULL) {
		T_OK("dir: mkdtemp", 0);
		return;
	}
	put("b/2.png", "b two");
	put("b/1.JPG", "b one, upper-case extension");
	put("a/x/deep.png", "label from the first folder");
	put("top.png", "in the root: no label");
	put("big.png", "");
	put(".hidden.png", "skipped");
	put(".git/h.png", "skipped");
	put("__MACOSX/m.png", "skipped");
	put("notes.txt", "not an image name");
	put("b/readme", "no extension");
	put("c/png", "no dot");
	snprintf(path, sizeof path, "%s/c/link.png", d);
	T_OK("dir: link to a file", symlink("../top.png", path) == 0);
	snprintf(path, sizeof path, "%s/c/dir.png", d);
	T_OK("dir: link to a folder", symlink("../a", path) == 0);
	snprintf(path, sizeof path, "%s/c/broken.png", d);
	T_OK("dir: broken link", symlink("nowhere.png", path) == 0);

	/* byte order of ids: '/' (47) before letters */
	{
		char src[8][4300];
		static const char *const rel[] = { "a/x/deep.png", "b/1.JPG", "b/2.png", "big.png",
		                                   "c/broken.png", "c/link.png", "top.png" };
		for (int i = 0; i < 7; i++)
			snprintf(src[i], sizeof src[i], "%s/%s", d, rel[i]);
		const struct want want[] = {
			{ 1, "a/x/deep.png", src[0], "a", "label from the first folder" },
			{ 1, "b/1.JPG", src[1], "b", "b one, upper-case extension" },
			{ 1, "b/2.png", src[2], "b", "b two" },
			{ 1, "big.png", src[3], NULL, "" },
			{ TL_SKIP, "c/broken.png", src[4], "c", "No such file or directory" },
			{ 1, "c/link.png", src[5], "c", "in the root: no label" },
			{ 1, "top.png", src[6], NULL, "in the root: no label" },
		};
		const struct want forced[] = {
			{ 1, "a/x/deep.png", src[0], "L", "label from the first folder" },
			{ 1, "b/1.JPG", src[1], "L", "b one, upper-case extension" },
			{ 1, "b/2.png", src[2], "L", "b two" },
			{ 1, "big.png", src[3], "L", "" },
			{ TL_SKIP, "c/broken.png", src[4], "L", "No such file or directory" },
			{ 1, "c/link.png", src[5], "L", "in the root: no label" },
			{ 1, "top.png", src[6], "L", "in the root: no label" },
		};

		check_walk("dir", tl_walk_open(d, 0, &o, &err), want, 7);
		/* a trailing '/' on the root changes no name */
		snprintf(root, sizeof root, "%s//", d);
		check_walk("dir/", tl_walk_open(root, 0, &o, &err), want, 7);
		check_walk("dir --label", tl_walk_open(d, 0, &lo, &err), forced, 7);
		/* a single file: id and src the path as given, no label */
		snprintf(path, sizeof path, "%s/b/2.png", d);
		const struct want one[] = { { 1, path, path, NULL, "b two" } };
		check_walk("single file", tl_walk_open(path, 0, &o, &err), one, 1);
	}

	/* a file over the limit is refused from its size, before it is read */
	{
		struct tl_walk_opts small = { .max_bytes = 10, .max_name = "LIMIT" };
		struct tl_walk *w = tl_walk_open(d, 0, &small, &err);
		struct tl_item it;

		T_EQ_INT("dir limit: first", tl_walk_next(w, &it, &err), 1);
		T_EQ_INT("dir limit: 27 bytes", it.size, 27);
		T_EQ_INT("dir limit: head read", it.len, 27);
		T_EQ_INT("dir limit: refused", tl_walk_read(w, &it, &err), TL_SKIP);
		T_EQ_STR("dir limit: message", err.msg, "file of 27 bytes passes LIMIT (10 bytes)");
		tl_walk_close(w);
	}

	snprintf(path, sizeof path, "%s/no-such-folder", d);
	T_OK("dir: missing path", tl_walk_open(path, 0, &o, &err) == NULL);
	T_EQ_STR("dir: missing path message", err.msg, "No such file or directory");
	scratch_close(1);
}

/* A file list: "path[TAB label]" lines, sorted by path; empty lines, an
 * empty path and CR LF ends are taken in stride. */
static void
test_list(void)
{
	char cwd[4096];
	const char *d = scratch_new("test_walk");
	struct tl_walk_opts o = { .max_bytes = 1 << 20, .max_name = "LIMIT" };
	struct tl_walk_opts lo = { .label = "L", .max_bytes = 1 << 20, .max_name = "LIMIT" };
	struct tl_err err;
	static const struct want want[] = {
		{ 1, "dog.png", "dog.png", "dog", "woof" },
		{ TL_SKIP, "missing.png", "missing.png", NULL, "No such file or directory" },
		{ 1, "notes.txt", "notes.txt", "any name", "a list takes every line" },
		{ 1, "photos/cat 1.png", "photos/cat 1.png", "cat\tcalico", "meow" },
		{ 1, "z.png", "z.png", NULL, "zzz" },
	};
	static const struct want forced[] = {
		{ 1, "dog.png", "dog.png", "L", "woof" },
		{ TL_SKIP, "missing.png", "missing.png", "L", "No such file or directory" },
		{ 1, "notes.txt", "notes.txt", "L", "a list takes every line" },
		{ 1, "photos/cat 1.png", "photos/cat 1.png", "L", "meow" },
		{ 1, "z.png", "z.png", "L", "zzz" },
	};

	if (d == NULL || getcwd(cwd, sizeof cwd) == NULL || chdir(d) != 0) {
		T_OK("list: temporary directory", 0);
		return;
	}
	put("dog.png", "woof");
	put("photos/cat 1.png", "meow");
	put("z.png", "zzz");
	put("notes.txt", "a list takes every line");
	/* the label is all after the first TAB; an empty label is none */
	put("list.txt", "z.png\t\n\nphotos/cat 1.png\tcat\tcalico\r\n\tno path\n"
	                 "missing.png\ndog.png\tdog\nnotes.txt\tany name");
	check_walk("list", tl_walk_open("list.txt", 1, &o, &err), want, 5);
	check_walk("list --label", tl_walk_open("list.txt", 1, &lo, &err), forced, 5);
	put("empty.txt", "");
	check_walk("empty list", tl_walk_open("empty.txt", 1, &o, &err), want, 0);
	T_OK("list: missing list", tl_walk_open("no-such-list.txt", 1, &o, &err) == NULL);
	T_EQ_STR("list: missing list message", err.msg, "No such file or directory");
	if (chdir(cwd) != 0)
		T_OK("list: back to the working directory", 0);
	scratch_close(1);
}

/* tl_walk_shard's values are part of tl's output (tl-ingest --shard): fixed */
static void
test_shard(void)
{
	static const struct { const char *id; unsigned n, want; } c[] = {
		{ "", 3, 0 }, { "", 1000, 203 }, { "a", 3, 1 }, { "a", 1000, 736 },
		{ "ants/0013035.jpg", 3, 2 }, { "ants/0013035.jpg", 1000, 958 },
		{ "bees/16838648_415acd9e3f.jpg", 1000, 942 }, { "square/s1.png", 3, 0 },
		{ "square/s1.png", 1000, 992 }, { "square/s1.png", 1, 0 }, { "a", 0, 0 },
	};
	char name[96];

	for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
		snprintf(name, sizeof name, "shard: '%s' of %u", c[i].id, c[i].n);
		T_OK(name, tl_walk_shard(c[i].id, c[i].n) == c[i].want);
	}
}

int
main(void)
{
	test_shard();
	test_members();
	test_lazy();
	test_unsized();
	test_broken();
	test_bytes();
	test_dir();
	test_list();
	T_DONE();
}
