/*
 * test_walk.c - lib/walk on archives built here in memory (libarchive's
 * writer): member ids and the '..' rule, the two-step read (first bytes,
 * then the rest), the size limit, a broken archive, and the byte counts of
 * messages.
 */
#include <stdlib.h>
#include <string.h>

#include <archive.h>
#include <archive_entry.h>

#include "data/walk.h"
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
	struct tl_walk_opts o = { NULL, 8000, "LIMIT" };
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
	T_EQ_INT("members: x over the limit", tl_walk_read(w, &it, &err), -1);
	T_EQ_STR("members: x message", err.msg, "file of 10000 bytes passes LIMIT (8000 bytes)");
	T_EQ_INT("members: up", tl_walk_next(w, &it, &err), -1);
	T_EQ_STR("members: up src", it.src, "t.tar!../up.png");
	T_EQ_STR("members: up message", err.msg, "member path has a '..' component");
	T_EQ_INT("members: c", tl_walk_next(w, &it, &err), 1);
	T_EQ_STR("members: c id", it.id, "b/c.JPG");
	T_EQ_STR("members: c label", it.label, "b");
	T_EQ_INT("members: c whole", tl_walk_read(w, &it, &err), 0);
	T_EQ_INT("members: c len", it.len, 20);
	T_EQ_INT("members: d/../e", tl_walk_next(w, &it, &err), -1);
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

/* A zip written without sizes in its local headers: in memory, libarchive
 * finds them in the central directory (a pipe does not: tests/cli/ingest.sh). */
static void
test_unsized(void)
{
	static const char *const name[] = { "big.png", "small.png" };
	static const size_t len[] = { 30000, 5000 };
	struct tl_walk_opts o = { "L", 20000, "LIMIT" };
	unsigned char *zip;
	size_t n = make_archive(1, name, len, 2, &zip);
	struct tl_walk *w = tl_walk_open_mem(zip, n, "z.zip", &o, NULL);
	struct tl_item it;
	struct tl_err err;

	T_OK("unsized: open", w != NULL);
	T_EQ_INT("unsized: big", tl_walk_next(w, &it, &err), 1);
	T_EQ_STR("unsized: label from opts", it.label, "L");
	T_EQ_INT("unsized: big over the limit", tl_walk_read(w, &it, &err), -1);
	T_EQ_STR("unsized: big message", err.msg, "file of 29.3 KiB passes LIMIT (19.5 KiB)");
	T_EQ_INT("unsized: small", tl_walk_next(w, &it, &err), 1);
	T_EQ_INT("unsized: small whole", tl_walk_read(w, &it, &err), 0);
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
	struct tl_walk_opts o = { NULL, 1 << 20, "LIMIT" };
	unsigned char *tar;
	size_t n = make_archive(0, name, len, 1, &tar);
	struct tl_walk *w;
	struct tl_item it;
	struct tl_err err;

	/* cut in a.png's data (3000 bytes, padded to 3072, then 1024 of end):
	   libarchive says so at the member's first read */
	w = tl_walk_open_mem(tar, n - 1024 - 2072, "cut.tar", &o, &err);
	T_OK("broken: open", w != NULL);
	T_EQ_INT("broken: a", tl_walk_next(w, &it, &err), -1);
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

int
main(void)
{
	test_members();
	test_unsized();
	test_broken();
	test_bytes();
	T_DONE();
}
