/*
 * test_prefetch.c - lib/stream/prefetch: the records a reader gives, in its
 * order, read ahead on a thread at depths 1 and 4 (fewer and more than a
 * stream holds); a truncated stream gives the records before the break, then
 * the reader's TL_STOP and message; a stream whose records are all taken
 * ends with 0 and the prefetcher frees cleanly.
 */
#include <stdlib.h>
#include <string.h>

#include "stream/prefetch.h"
#include "scratch.h"
#include "t.h"

/* Writes n records (id "r<i>", a 100 kB bin each) to name. */
static void
write_stream(const char *name, int n)
{
	struct tl_rec *h = tl_rec_new(), *r = tl_rec_new();
	static unsigned char blob[100000];
	struct tl_err err;
	FILE *f = fopen(at(name), "wb");
	struct tl_writer *w;

	tl_header_init(h, "test", NULL);
	w = tl_writer_open(f, name, h, &err);
	for (int i = 0; i < n; i++) {
		char id[32];
		snprintf(id, sizeof id, "r%d", i);
		tl_rec_clear(r);
		tl_rec_set_str(r, "id", id);
		memset(blob, i, sizeof blob);
		tl_rec_set_bin(r, "img", blob, sizeof blob);
		tl_writer_put(w, r, &err);
	}
	tl_writer_close(w, &err);
	fclose(f);
	tl_rec_free(r);
	tl_rec_free(h);
}

/* The ids read through a prefetcher of depth d, joined by ' ', and the last
 * status; err as the prefetcher left it. */
static int
ids(const char *name, int d, char *out, size_t cap, struct tl_err *err)
{
	char *paths[] = { (char *)at(name) };
	struct tl_reader *r = tl_reader_open(paths, 1, err);
	struct tl_rec *rec = tl_rec_new();
	struct tl_prefetch *p;
	int st;

	*out = '\0';
	if (r == NULL || (p = tl_prefetch_new(r, d, err)) == NULL)
		return -99;
	while ((st = tl_prefetch_next(p, rec, err)) == 1) {
		const msgpack_object *img = tl_rec_get(rec, "img");
		const char *id = tl_rec_str(rec, "id");
		/* the bytes are the record's own, not a slot's reused since */
		if (img == NULL || img->via.bin.size != 100000 ||
		    img->via.bin.ptr[99999] != (char)atoi(id + 1))
			return -98;
		snprintf(out + strlen(out), cap - strlen(out), "%s%s", *out ? " " : "", id);
	}
	tl_prefetch_free(p);
	tl_reader_close(r);
	tl_rec_free(rec);
	return st;
}

int
main(void)
{
	char got[256], *buf;
	size_t n = 0;
	struct tl_err err;

	if (scratch_open("test_prefetch") != 0)
		return 1;
	write_stream("s.tl", 6);
	T_EQ_INT("depth 1: the end", ids("s.tl", 1, got, sizeof got, &err), 0);
	T_EQ_STR("depth 1: every record in order", got, "r0 r1 r2 r3 r4 r5");
	T_EQ_INT("depth 4: the end", ids("s.tl", 4, got, sizeof got, &err), 0);
	T_EQ_STR("depth 4: every record in order", got, "r0 r1 r2 r3 r4 r5");
	T_EQ_INT("depth 16: the end", ids("s.tl", 16, got, sizeof got, &err), 0);
	T_EQ_STR("depth 16: every record in order", got, "r0 r1 r2 r3 r4 r5");

	/* cut in the middle of record 3: r0..r2, then the reader's error */
	buf = slurp(at("s.tl"), &n);
	spit_bytes("cut.tl", buf, n / 2 + 1000);
	g_free(buf);
	T_EQ_INT("truncated: TL_STOP", ids("cut.tl", 4, got, sizeof got, &err), TL_STOP);
	T_EQ_STR("truncated: the records before the break", got, "r0 r1 r2");
	T_OK("truncated: the reader's message", strstr(err.msg, "truncated stream") != NULL);
	unlink(at("s.tl"));
	unlink(at("cut.tl"));
	tl_prefetch_free(NULL);
	if (scratch_close(0) != 0)
		return 1;
	T_DONE();
}
