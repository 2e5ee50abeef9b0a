/*
 * test_select.c - lib/stream/select: tl-cat's filters (split, label, pred,
 * the inclusive conf range, records without a string or a number where one
 * is asked for), field lists (parsing, empty names refused, stripping), a
 * record's fields as one TSV line (escapes, hex fields, JSON for the rest,
 * empty cells) and tallies (sorted bytewise by cell text, the empty text for
 * a missing field, a table that grows past its first size), and what the
 * filters and --head make of a header's expected counts.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "stream/select.h"
#include "stream/stream.h"
#include "t.h"

/* Five records for the filters: r0..r4 (see rec_for). */
static struct tl_rec *
rec_for(int i)
{
	struct tl_rec *r = tl_rec_new();

	switch (i) {
	case 0:
		tl_rec_set_str(r, "split", "train");
		tl_rec_set_str(r, "label", "cat");
		tl_rec_set_str(r, "pred", "cat");
		tl_rec_set_f64(r, "conf", 0.9);
		break;
	case 1:
		tl_rec_set_str(r, "split", "val");
		tl_rec_set_str(r, "label", "dog");
		tl_rec_set_str(r, "pred", "cat");
		tl_rec_set_f64(r, "conf", 0.4);
		break;
	case 2: /* no pred, no conf */
		tl_rec_set_str(r, "split", "test");
		tl_rec_set_str(r, "label", "cat");
		break;
	case 3: /* a conf that is no number at all */
		tl_rec_set_str(r, "split", "test");
		tl_rec_set_str(r, "label", "dog");
		tl_rec_set_str(r, "pred", "dog");
		tl_rec_set_f64(r, "conf", NAN);
		break;
	case 4: /* a label that is not a string; an integer conf */
		tl_rec_set_str(r, "split", "train");
		tl_rec_set_u64(r, "label", 3);
		tl_rec_set_u64(r, "conf", 1);
		break;
	}
	return r;
}

static void
test_match(void)
{
	static const struct {
		const char *name, *split, *label, *pred;
		double min, max;
		const char *want; /* keep (1) or drop (0) for r0..r4 */
	} c[] = {
		{ "match: nothing asked", NULL, NULL, NULL, NAN, NAN, "11111" },
		{ "match: split", "train", NULL, NULL, NAN, NAN, "10001" },
		{ "match: label (a number is no string)", NULL, "cat", NULL, NAN, NAN, "10100" },
		{ "match: pred (absent fails)", NULL, NULL, "cat", NAN, NAN, "11000" },
		{ "match: split and label", "test", "dog", NULL, NAN, NAN, "00010" },
		{ "match: the empty label", NULL, "", NULL, NAN, NAN, "00000" },
		{ "match: min-conf", NULL, NULL, NULL, 0.5, NAN, "10001" },
		{ "match: max-conf", NULL, NULL, NULL, NAN, 0.5, "01000" },
		{ "match: both bounds inclusive", NULL, NULL, NULL, 0.4, 0.4, "01000" },
		{ "match: an integer conf", NULL, NULL, NULL, 1, 1, "00001" },
		{ "match: an empty range", NULL, NULL, NULL, 0.6, 0.5, "00000" },
		{ "match: bounds and pred", NULL, NULL, "cat", 0.5, 1, "10000" },
	};
	struct tl_rec *r[5];

	for (int i = 0; i < 5; i++)
		r[i] = rec_for(i);
	for (size_t k = 0; k < sizeof c / sizeof c[0]; k++) {
		struct tl_select s;
		char got[6] = "";

		tl_select_init(&s);
		s.split = c[k].split;
		s.label = c[k].label;
		s.pred = c[k].pred;
		s.min_conf = c[k].min;
		s.max_conf = c[k].max;
		for (int i = 0; i < 5; i++)
			got[i] = tl_select_match(&s, r[i]) ? '1' : '0';
		T_EQ_STR(c[k].name, got, c[k].want);
	}
	for (int i = 0; i < 5; i++)
		tl_rec_free(r[i]);
}

static void
test_parse(void)
{
	static const struct {
		const char *list;
		int rc, n;
		const char *names; /* joined by '|', or the message */
	} c[] = {
		{ "id", 0, 1, "id" },
		{ "id,label,conf", 0, 3, "id|label|conf" },
		{ "a b,c", 0, 2, "a b|c" },
		{ "id,id", 0, 2, "id|id" },
		{ "a,,b", -1, 0, "empty field name in 'a,,b'" },
		{ "", -1, 0, "empty field name in ''" },
		{ "id,", -1, 0, "empty field name in 'id,'" },
		{ ",id", -1, 0, "empty field name in ',id'" },
	};

	for (size_t k = 0; k < sizeof c / sizeof c[0]; k++) {
		struct tl_fields f;
		struct tl_err err;
		char t[96], got[256] = "";
		int rc = tl_fields_parse(&f, c[k].list, &err);

		snprintf(t, sizeof t, "fields '%s'", c[k].list);
		T_EQ_INT(t, rc, c[k].rc);
		T_EQ_INT(t, f.n, c[k].n);
		if (rc == 0) {
			for (int i = 0; i < f.n; i++)
				snprintf(got + strlen(got), sizeof got - strlen(got), "%s%s",
				         i ? "|" : "", f.name[i]);
			T_EQ_STR(t, got, c[k].names);
		} else {
			T_EQ_STR(t, err.msg, c[k].names);
			T_OK(t, f.buf == NULL && f.name == NULL);
		}
		tl_fields_free(&f);
		tl_fields_free(&f); /* a freed list is a zeroed one: freeing again is fine */
	}
}

/* The keys of r in order, joined by ','. */
static void
keys(const struct tl_rec *r, char *buf, size_t cap)
{
	buf[0] = '\0';
	for (size_t i = 0; i < r->n; i++)
		snprintf(buf + strlen(buf), cap - strlen(buf), "%s%.*s", i ? "," : "",
		         (int)r->kv[i].key.via.str.size, r->kv[i].key.via.str.ptr);
}

static void
test_strip(void)
{
	static const struct {
		const char *list, *want;
	} c[] = {
		{ "img,pix", "id,label,emb" },
		{ "emb,missing", "id,img,label,pix" },
		{ "id,img,label,pix,emb", "" },
		{ "nothing", "id,img,label,pix,emb" },
	};

	for (size_t k = 0; k < sizeof c / sizeof c[0]; k++) {
		struct tl_rec *r = tl_rec_new();
		struct tl_fields f;
		char got[128], t[64];

		tl_rec_set_str(r, "id", "a");
		tl_rec_set_bin(r, "img", "xyz", 3);
		tl_rec_set_str(r, "label", "cat");
		tl_rec_set_bin(r, "pix", "p", 1);
		tl_rec_set_f64(r, "emb", 1);
		tl_fields_parse(&f, c[k].list, NULL);
		tl_fields_strip(&f, r);
		keys(r, got, sizeof got);
		snprintf(t, sizeof t, "strip %s", c[k].list);
		T_EQ_STR(t, got, c[k].want);
		tl_fields_free(&f);
		tl_rec_free(r);
	}
}

/* The TSV line of r's fields f, into a malloc'd string. */
static char *
capture_tsv(const struct tl_fields *f, const struct tl_rec *r)
{
	char *text = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&text, &len);

	tl_fields_write_tsv(m, f, r);
	fclose(m);
	return text;
}

static void
test_tsv(void)
{
	static const struct {
		const char *list, *want;
	} c[] = {
		{ "id", "a\\tb\n" },
		{ "label", "back\\\\slash\\nnew\\rret\n" },
		{ "id,missing,n", "a\\tb\t\t7\n" },
		{ "conf,neg,flag,nil", "0.5\t-3\ttrue\tnull\n" },
		{ "sha256", "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n" },
		{ "phash", "00000000deadbeef\n" },
		{ "short", "{\"bin\":3}\n" },
		{ "map,arr", "{\"k\":\"v\"}\t[1,\"x\"]\n" },
		{ "missing", "\n" },
		{ "id,id", "a\\tb\ta\\tb\n" },
	};
	struct tl_rec *r = tl_rec_new();
	unsigned char sha[32];
	msgpack_object kv_v = { .type = MSGPACK_OBJECT_STR, .via.str = { 1, "v" } };
	msgpack_object_kv kv = { { .type = MSGPACK_OBJECT_STR, .via.str = { 1, "k" } }, kv_v };
	msgpack_object map = { .type = MSGPACK_OBJECT_MAP, .via.map = { 1, &kv } };
	msgpack_object el[2] = { { .type = MSGPACK_OBJECT_POSITIVE_INTEGER, .via.u64 = 1 },
	                         { .type = MSGPACK_OBJECT_STR, .via.str = { 1, "x" } } };
	msgpack_object arr = { .type = MSGPACK_OBJECT_ARRAY, .via.array = { 2, el } };
	msgpack_object nil = { .type = MSGPACK_OBJECT_NIL };

	for (int i = 0; i < 32; i++)
		sha[i] = (unsigned char)i;
	tl_rec_set_str(r, "id", "a\tb");
	tl_rec_set_str(r, "label", "back\\slash\nnew\rret");
	tl_rec_set_u64(r, "n", 7);
	tl_rec_set_f64(r, "conf", 0.5);
	tl_rec_set_i64(r, "neg", -3);
	tl_rec_set_bool(r, "flag", 1);
	tl_rec_set_obj(r, "nil", &nil);
	tl_rec_set_bin(r, "sha256", sha, 32);
	tl_rec_set_u64(r, "phash", 0xdeadbeef);
	tl_rec_set_bin(r, "short", sha, 3); /* a bin that is no sha256: its size */
	tl_rec_set_obj(r, "map", &map);
	tl_rec_set_obj(r, "arr", &arr);
	for (size_t k = 0; k < sizeof c / sizeof c[0]; k++) {
		struct tl_fields f;
		char t[64], *got;

		tl_fields_parse(&f, c[k].list, NULL);
		got = capture_tsv(&f, r);
		snprintf(t, sizeof t, "tsv %s", c[k].list);
		T_EQ_STR(t, got, c[k].want);
		free(got);
		tl_fields_free(&f);
	}
	tl_rec_free(r);
}

/* The tally's output, into a malloc'd string. */
static char *
capture_tally(const struct tl_tally *t)
{
	char *text = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&text, &len);

	tl_tally_write(t, m, NULL);
	fclose(m);
	return text;
}

static void
test_tally(void)
{
	/* label values added in this order; NULL: the record has none; "#n" the
	 * number n */
	static const struct {
		const char *name;
		const char *add[8];
		const char *want;
	} c[] = {
		{ "tally: empty", { NULL }, "" },
		{ "tally: counts, sorted", { "b", "a", "b", "b" }, "a\t1\nb\t3\n" },
		{ "tally: missing is the empty text", { "x", "-", "-", "" }, "\t3\nx\t1\n" },
		{ "tally: bytewise, prefix first", { "ab", "a", "B", "a b" }, "B\t1\na\t1\na b\t1\nab\t1\n" },
		{ "tally: numbers as text", { "#10", "#9", "#10", "10" }, "10\t3\n9\t1\n" },
		{ "tally: escapes keep values apart", { "a\tb", "a\\tb" }, "a\\\\tb\t1\na\\tb\t1\n" },
	};

	for (size_t k = 0; k < sizeof c / sizeof c[0]; k++) {
		struct tl_tally *t = tl_tally_new("label");
		struct tl_rec *r = tl_rec_new();
		char *got;
		int n;

		for (n = 0; n < 8 && c[k].add[n] != NULL; n++) {
			const char *v = c[k].add[n];

			tl_rec_clear(r);
			if (v[0] == '#')
				tl_rec_set_u64(r, "label", strtoull(v + 1, NULL, 10));
			else if (strcmp(v, "-") != 0)
				tl_rec_set_str(r, "label", v);
			T_EQ_INT(c[k].name, tl_tally_add(t, r, NULL), 0);
		}
		got = capture_tally(t);
		T_EQ_STR(c[k].name, got, c[k].want);
		free(got);
		tl_rec_free(r);
		tl_tally_free(t);
	}
}

/* 1000 distinct values grow the table (64 slots at first) and are all
 * counted; each added twice. */
static void
test_tally_grow(void)
{
	struct tl_tally *t = tl_tally_new("id");
	struct tl_rec *r = tl_rec_new();
	char id[16], *got, *p;
	int lines = 0, ok = 1;

	for (int pass = 0; pass < 2; pass++)
		for (int i = 0; i < 1000; i++) {
			snprintf(id, sizeof id, "r%04d", i);
			tl_rec_clear(r);
			tl_rec_set_str(r, "id", id);
			tl_tally_add(t, r, NULL);
		}
	got = capture_tally(t);
	for (p = got; *p; p = strchr(p, '\n') + 1) {
		snprintf(id, sizeof id, "r%04d\t2\n", lines);
		ok &= strncmp(p, id, strlen(id)) == 0;
		lines++;
	}
	T_EQ_INT("tally grow: lines", lines, 1000);
	T_OK("tally grow: r0000..r0999, each twice, in order", ok);
	free(got);
	tl_rec_free(r);
	tl_tally_free(t);
	tl_tally_free(NULL);
}

/* tl_select_header: the expected counts of what tl-cat keeps (-1: absent) */
static void
test_header(void)
{
	static const struct {
		const char *name, *split, *label;
		int conf;
		long long head, n, t, want_n, want_t;
	} cases[] = {
		{ "no filter", NULL, NULL, 0, -1, 10, 4, 10, 4 },
		{ "no filter, no counts", NULL, NULL, 0, -1, -1, -1, -1, -1 },
		{ "split train", "train", NULL, 0, -1, 10, 4, 4, 4 },
		{ "split train, no train count", "train", NULL, 0, -1, 10, -1, -1, -1 },
		{ "split val", "val", NULL, 0, -1, 10, 4, -1, -1 },
		{ "split train and a label", "train", "cat", 0, -1, 10, 4, -1, -1 },
		{ "label", NULL, "cat", 0, -1, 10, 4, -1, -1 },
		{ "conf", NULL, NULL, 1, -1, 10, 4, -1, -1 },
		{ "head below", NULL, NULL, 0, 3, 10, 4, 3, -1 },
		{ "head below, all train", NULL, NULL, 0, 3, 10, 10, 3, 3 },
		{ "head above", NULL, NULL, 0, 30, 10, 4, 10, 4 },
		{ "head, unknown", NULL, NULL, 0, 3, -1, -1, -1, -1 },
		{ "split train then head", "train", NULL, 0, 2, 10, 4, 2, 2 },
		{ "head 0", NULL, NULL, 0, 0, 10, 4, 0, -1 },
	};

	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		struct tl_rec *h = tl_rec_new();
		struct tl_select s;
		char t[128];

		tl_select_init(&s);
		s.split = cases[i].split;
		s.label = cases[i].label;
		if (cases[i].conf)
			s.min_conf = 0.5;
		tl_header_set_expect(h, TL_HEADER_EXPECT, cases[i].n);
		tl_header_set_expect(h, TL_HEADER_EXPECT_TRAIN, cases[i].t);
		snprintf(t, sizeof t, "header: %s", cases[i].name);
		T_EQ_INT(t, tl_select_header(&s, cases[i].head, h), 0);
		T_EQ_INT(t, tl_header_expect(h, TL_HEADER_EXPECT), cases[i].want_n);
		T_EQ_INT(t, tl_header_expect(h, TL_HEADER_EXPECT_TRAIN), cases[i].want_t);
		tl_rec_free(h);
	}
}

/* without a filter, a header passes as it is, even a count that is none */
static void
test_header_untouched(void)
{
	struct tl_rec *h = tl_rec_new();
	struct tl_select s;

	tl_select_init(&s);
	tl_rec_set_str(h, TL_HEADER_EXPECT, "many");
	T_EQ_INT("header untouched: status", tl_select_header(&s, -1, h), 0);
	T_EQ_STR("header untouched: kept", tl_rec_str(h, TL_HEADER_EXPECT), "many");
	s.label = "cat";
	T_EQ_INT("header filtered: status", tl_select_header(&s, -1, h), 0);
	T_OK("header filtered: removed", tl_rec_get(h, TL_HEADER_EXPECT) == NULL);
	tl_rec_free(h);
}

int
main(void)
{
	test_header();
	test_header_untouched();
	test_match();
	test_parse();
	test_strip();
	test_tsv();
	test_tally();
	test_tally_grow();
	T_DONE();
}
