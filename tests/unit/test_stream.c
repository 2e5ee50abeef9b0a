/*
 * test_stream.c - the record stream: round trips of every value type and of
 * tensors, concatenated segments, and the ways a stream can be broken or
 * hostile (truncated, count mismatch, malformed, over-long, deeply nested);
 * a header's expected counts read only as whole numbers up to 2^53.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/tensor.h"
#include "stream/stream.h"
#include "scratch.h"
#include "t.h"

/* at(name) as tl_reader_open's paths want it (char *const *). */
static char *
path(const char *name)
{
	return (char *)at(name);
}

static size_t
read_bytes(const char *name, unsigned char *buf, size_t cap)
{
	FILE *f = fopen(path(name), "rb");
	size_t n = fread(buf, 1, cap, f);
	fclose(f);
	return n;
}

/* Writes a stream of n records (id "r<i>", assorted types) to name. */
static void
write_stream(const char *name, int n, const char *classes0)
{
	struct tl_rec *h = tl_rec_new(), *r = tl_rec_new();
	struct tl_err err;
	FILE *f = fopen(path(name), "wb");
	struct tl_writer *w;

	tl_header_init(h, "test", NULL);
	if (classes0) {
		msgpack_object c[2] = {
			{ .type = MSGPACK_OBJECT_STR, .via.str = { (uint32_t)strlen(classes0), classes0 } },
			{ .type = MSGPACK_OBJECT_STR, .via.str = { 1, "b" } },
		};
		msgpack_object a = { .type = MSGPACK_OBJECT_ARRAY, .via.array = { 2, c } };
		tl_rec_set_obj(h, "classes", &a);
	}
	w = tl_writer_open(f, name, h, &err);
	for (int i = 0; i < n; i++) {
		char id[32];
		uint64_t shape[2] = { 2, 3 };
		float *x;
		tl_rec_clear(r);
		snprintf(id, sizeof id, "r%d", i);
		tl_rec_set_str(r, "id", id);
		tl_rec_set_u64(r, "width", 640 + (uint64_t)i);
		tl_rec_set_i64(r, "neg", -5 - i);
		tl_rec_set_f64(r, "conf", 0.25 * i);
		tl_rec_set_bool(r, "ok", i % 2);
		tl_rec_set_bin(r, "img", "\x00\x01\xff", 3);
		x = tl_rec_set_tensor(r, "emb", TL_F32, 2, shape);
		for (int j = 0; j < 6; j++)
			x[j] = (float)(i * 10 + j) / 4;
		tl_writer_put(w, r, &err);
	}
	tl_writer_close(w, &err);
	fclose(f);
	tl_rec_free(h);
	tl_rec_free(r);
}

/* Reads name to the end: returns the record count, or -1 with err filled. */
static int
read_all(const char *name, struct tl_err *err)
{
	char *p[1] = { path(name) };
	struct tl_reader *rd = tl_reader_open(p, 1, err);
	struct tl_rec *r = tl_rec_new();
	int n = 0, st;

	if (rd == NULL) {
		tl_rec_free(r);
		return -1;
	}
	while ((st = tl_reader_next(rd, r, err)) == 1)
		n++;
	tl_reader_close(rd);
	tl_rec_free(r);
	return st < 0 ? -1 : n;
}

static void
test_round_trip(void)
{
	struct tl_err err;
	char *p[1];
	struct tl_reader *rd;
	struct tl_rec *r = tl_rec_new();
	struct tl_tensor t;
	double d;
	uint64_t u;
	float x[6];
	int i = 0, ok = 1;

	write_stream("a.tl", 3, NULL);
	p[0] = path("a.tl");
	rd = tl_reader_open(p, 1, &err);
	T_OK("roundtrip: open", rd != NULL);
	T_OK("roundtrip: header producer", tl_obj_is_str(tl_rec_get(tl_reader_header(rd), "producer"), "test"));
	while (tl_reader_next(rd, r, &err) == 1) {
		char want[32];
		snprintf(want, sizeof want, "r%d", i);
		ok &= strcmp(tl_rec_str(r, "id"), want) == 0;
		ok &= tl_rec_u64(r, "width", &u) == 0 && u == 640 + (uint64_t)i;
		ok &= tl_rec_f64(r, "neg", &d) == 0 && d == -5 - i;
		ok &= tl_rec_f64(r, "conf", &d) == 0 && d == 0.25 * i;
		ok &= tl_rec_get(r, "ok")->type == MSGPACK_OBJECT_BOOLEAN &&
		    tl_rec_get(r, "ok")->via.boolean == (i % 2);
		ok &= tl_rec_get(r, "img")->via.bin.size == 3 &&
		    memcmp(tl_rec_get(r, "img")->via.bin.ptr, "\x00\x01\xff", 3) == 0;
		ok &= tl_rec_tensor(r, "emb", &t, &err) == 0 && t.dtype == TL_F32 &&
		    t.ndim == 2 && t.shape[0] == 2 && t.shape[1] == 3;
		tl_tensor_to_f32(&t, x);
		for (int j = 0; j < 6; j++)
			ok &= x[j] == (float)(i * 10 + j) / 4;
		/* key order is kept */
		ok &= r->n == 7 && memcmp(r->kv[0].key.via.str.ptr, "id", 2) == 0 &&
		    memcmp(r->kv[6].key.via.str.ptr, "emb", 3) == 0;
		i++;
	}
	T_OK("roundtrip: every field of every record", ok);
	T_EQ_INT("roundtrip: record count", i, 3);
	tl_reader_close(rd);
	tl_rec_free(r);
}

static void
test_edit(void)
{
	struct tl_rec *r = tl_rec_new(), *c = tl_rec_new();

	tl_rec_set_str(r, "id", "x");
	tl_rec_set_str(r, "label", "ants");
	tl_rec_set_str(r, "id", "y");
	T_EQ_INT("edit: replacing keeps one key", r->n, 2);
	T_EQ_STR("edit: replaced value", tl_rec_str(r, "id"), "y");
	T_EQ_INT("edit: del present", tl_rec_del(r, "id"), 1);
	T_EQ_INT("edit: del absent", tl_rec_del(r, "id"), 0);
	T_OK("edit: get after del", tl_rec_get(r, "id") == NULL);
	tl_rec_copy(c, r);
	tl_rec_free(r);
	T_EQ_STR("edit: copy survives the original", tl_rec_str(c, "label"), "ants");
	tl_rec_free(c);
}

static void
test_concat(void)
{
	unsigned char a[4096], b[4096];
	size_t na, nb;
	struct tl_err err;

	write_stream("c1.tl", 2, "a");
	write_stream("c2.tl", 3, "a");
	write_stream("c3.tl", 1, "z");
	na = read_bytes("c1.tl", a, sizeof a);
	nb = read_bytes("c2.tl", b, sizeof b);
	memcpy(a + na, b, nb);
	spit_bytes("cat.tl", a, na + nb);
	T_EQ_INT("concat: cat a b reads both", read_all("cat.tl", &err), 5);
	{
		char *p[2] = { path("c1.tl"), path("c2.tl") };
		struct tl_reader *rd = tl_reader_open(p, 2, &err);
		struct tl_rec *r = tl_rec_new();
		int n = 0;
		while (tl_reader_next(rd, r, &err) == 1)
			n++;
		T_EQ_INT("concat: two files read as one", n, 5);
		tl_reader_close(rd);
		tl_rec_free(r);
	}
	nb = read_bytes("c3.tl", b, sizeof b);
	memcpy(a + na, b, nb);
	spit_bytes("conflict.tl", a, na + nb);
	T_EQ_INT("concat: class lists that disagree fail", read_all("conflict.tl", &err), -1);
	T_OK("concat: conflict message", strstr(err.msg, "disagree on \"classes\"") != NULL);
}

static void
test_broken(void)
{
	unsigned char a[4096];
	size_t n;
	struct tl_err err;
	int cut_ok = 1;

	write_stream("b.tl", 3, NULL);
	n = read_bytes("b.tl", a, sizeof a);
	/* every proper prefix of a stream is an error, never a short success */
	for (size_t k = 0; k < n; k++) {
		spit_bytes("cut.tl", a, k);
		if (read_all("cut.tl", &err) != -1)
			cut_ok = 0;
	}
	T_OK("broken: every truncation is detected", cut_ok);
	spit_bytes("cut.tl", a, n - 12);
	read_all("cut.tl", &err);
	T_OK("broken: truncated message", strstr(err.msg, "truncated stream") != NULL);
	spit_bytes("empty.tl", a, 0);
	T_EQ_INT("broken: empty input", read_all("empty.tl", &err), -1);
	T_OK("broken: empty input message", strstr(err.msg, "empty input") != NULL);

	/* trailer claiming 4 records after 3 */
	a[n - 1] = 4;
	spit_bytes("count.tl", a, n);
	T_EQ_INT("broken: count mismatch", read_all("count.tl", &err), -1);
	T_OK("broken: count mismatch message", strstr(err.msg, "trailer counts 4 records but 3") != NULL);

	spit_bytes("junk.tl", "\xc1\x00\x00", 3);
	T_EQ_INT("broken: reserved byte 0xc1", read_all("junk.tl", &err), -1);
	spit_bytes("text.tl", "hello world\n", 12);
	T_EQ_INT("broken: text is not a stream", read_all("text.tl", &err), -1);
	T_OK("broken: text message", strstr(err.msg, "not a tl stream") != NULL);
	/* a map with tl:1, then an array claiming 2^32-1 elements in 5 bytes */
	spit_bytes("huge.tl", "\x81\xa2tl\x01\xdd\xff\xff\xff\xff", 10);
	T_EQ_INT("hostile: huge array count", read_all("huge.tl", &err), -1);
	T_OK("hostile: huge array message", strstr(err.msg, "elements") != NULL);
	/* a bin32 declaring 4 GiB */
	spit_bytes("hbin.tl", "\x81\xa2tl\x01\x81\xa1x\xc6\xff\xff\xff\xf0", 13);
	T_EQ_INT("hostile: huge bin length", read_all("hbin.tl", &err), -1);
	T_OK("hostile: huge bin message", strstr(err.msg, "larger than the limit") != NULL);
	{
		unsigned char deep[200];
		memcpy(deep, "\x81\xa2tl\x01", 5);
		memset(deep + 5, 0x91, sizeof deep - 5); /* [[[[...]]]] */
		spit_bytes("deep.tl", deep, sizeof deep);
		T_EQ_INT("hostile: deep nesting", read_all("deep.tl", &err), -1);
		T_OK("hostile: deep nesting message", strstr(err.msg, "nested deeper") != NULL);
	}
	/* header, then a record with an integer key */
	spit_bytes("ikey.tl", "\x81\xa2tl\x01\x81\x01\x02\x82\xa2tl\x01\xa3""end\x01", 17);
	T_EQ_INT("hostile: non-string key", read_all("ikey.tl", &err), -1);
	T_OK("hostile: non-string key message", strstr(err.msg, "not a string") != NULL);
	/* a record before any header */
	spit_bytes("nohdr.tl", "\x81\xa2id\xa1x", 6);
	T_EQ_INT("broken: record before header", read_all("nohdr.tl", &err), -1);
}

static void
test_measure(void)
{
	struct tl_err err;

	T_EQ_INT("measure: fixint", tl_msgpack_measure((const unsigned char *)"\x05", 1, 100, &err), 1);
	T_EQ_INT("measure: need more", tl_msgpack_measure((const unsigned char *)"\x92\x01", 2, 100, &err), 0);
	T_EQ_INT("measure: array", tl_msgpack_measure((const unsigned char *)"\x92\x01\xa1x", 4, 100, &err), 4);
	T_EQ_INT("measure: float64", tl_msgpack_measure((const unsigned char *)"\xcb\0\0\0\0\0\0\0\0", 9, 100, &err), 9);
	T_EQ_INT("measure: nested map", tl_msgpack_measure((const unsigned char *)"\x81\xa1k\x81\xa1j\xc0", 7, 100, &err), 7);
	T_EQ_INT("measure: over limit", tl_msgpack_measure((const unsigned char *)"\xc5\x01\x00", 3, 100, &err), -1);
}

/* tl_rec_packed_size agrees with tl_rec_pack on each side of every length
 * and integer boundary of msgpack's encodings. */
static void
test_packed_size(void)
{
	static const uint64_t lens[] = { 0, 1, 2, 4, 8, 15, 16, 31, 32, 255, 256, 65535, 65536, 70000 };
	static const int64_t ints[] = { -1, -32, -33, -128, -129, -32768, -32769, INT32_MIN,
	                                (int64_t)INT32_MIN - 1, INT64_MIN };
	static const uint64_t uints[] = { 0, 127, 128, 255, 256, 65535, 65536, UINT32_MAX,
	                                  (uint64_t)UINT32_MAX + 1, UINT64_MAX };
	struct tl_rec *r = tl_rec_new();
	char *big = calloc(1, 70000), key[32];
	msgpack_object *elems = calloc(70000, sizeof *elems), o;
	msgpack_sbuffer sb;
	int bad = 0, n = 0;

	for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
		snprintf(key, sizeof key, "s%zu", i);
		tl_rec_set_strn(r, key, big, lens[i]);
		key[0] = 'b';
		tl_rec_set_bin(r, key, big, lens[i]);
		key[0] = 'a';
		o = (msgpack_object){ .type = MSGPACK_OBJECT_ARRAY,
		                      .via.array = { (uint32_t)lens[i], elems } };
		tl_rec_set_obj(r, key, &o);
		key[0] = 'm';
		o = (msgpack_object){ .type = MSGPACK_OBJECT_MAP,
		                      .via.map = { (uint32_t)lens[i] / 2,
		                                   (msgpack_object_kv *)elems } };
		tl_rec_set_obj(r, key, &o);
		key[0] = 'e';
		o = (msgpack_object){ .type = MSGPACK_OBJECT_EXT,
		                      .via.ext = { 7, (uint32_t)lens[i], big } };
		tl_rec_set_obj(r, key, &o);
	}
	for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++) {
		snprintf(key, sizeof key, "i%zu", i);
		tl_rec_set_i64(r, key, ints[i]);
		key[0] = 'u';
		tl_rec_set_u64(r, key, uints[i]);
	}
	tl_rec_set_f64(r, "f", 0.5);
	tl_rec_set_bool(r, "t", 1);
	o = (msgpack_object){ .type = MSGPACK_OBJECT_FLOAT32, .via.f64 = 0.5 };
	tl_rec_set_obj(r, "g", &o);
	/* the record itself: 16 keys and more are a map 16 */
	T_OK("packed size: many keys", r->n >= 16);
	for (size_t k = r->n; k > 0; k--) { /* every prefix of the record, down to 1 key */
		size_t keep = r->n;
		uint64_t want;

		r->n = k;
		msgpack_sbuffer_init(&sb);
		tl_rec_pack(r, &sb);
		want = sb.size;
		msgpack_sbuffer_destroy(&sb);
		bad += tl_rec_packed_size(r) != want;
		n++;
		r->n = keep;
	}
	T_EQ_INT("packed size: equals the packed bytes", bad, 0);
	T_OK("packed size: prefixes tried", n > 60);
	free(big);
	free(elems);
	tl_rec_free(r);
}

static void
test_tensor_invalid(void)
{
	struct tl_rec *r = tl_rec_new();
	struct tl_tensor t;
	struct tl_err err;
	uint64_t shape[1] = { 4 };
	msgpack_object *data;

	tl_rec_set_tensor(r, "emb", TL_F32, 1, shape);
	T_EQ_INT("tensor: valid", tl_rec_tensor(r, "emb", &t, &err), 0);
	data = (msgpack_object *)&tl_rec_get(r, "emb")->via.map.ptr[2].val;
	data->via.bin.size = 15; /* not 4 floats */
	T_EQ_INT("tensor: size mismatch rejected", tl_rec_tensor(r, "emb", &t, &err), -1);
	T_OK("tensor: size mismatch message", strstr(err.msg, "does not match") != NULL);
	T_EQ_INT("tensor: absent", tl_rec_tensor(r, "pix", &t, &err), -1);
	tl_rec_free(r);
}

/* A NaN or an infinity anywhere in a float tensor makes it invalid, named by
 * its index in the tensor's shape; integers and finite floats pass. */
static void
test_tensor_nonfinite(void)
{
	static const struct {
		const char *name;
		enum tl_dtype dt;
		uint32_t bits;  /* the value at index 5, as its bits */
		const char *msg; /* NULL: valid */
	} cases[] = {
		{ "tensor: f4 finite", TL_F32, 0x3f800000, NULL },
		{ "tensor: f4 largest finite", TL_F32, 0x7f7fffff, NULL },
		{ "tensor: f4 NaN", TL_F32, 0x7fc00000, "emb[1,2] is NaN" },
		{ "tensor: f4 -NaN", TL_F32, 0xffc00001, "emb[1,2] is NaN" },
		{ "tensor: f4 inf", TL_F32, 0x7f800000, "emb[1,2] is inf" },
		{ "tensor: f4 -inf", TL_F32, 0xff800000, "emb[1,2] is -inf" },
		{ "tensor: f2 finite", TL_F16, 0x7bff, NULL },
		{ "tensor: f2 NaN", TL_F16, 0x7e00, "emb[1,2] is NaN" },
		{ "tensor: f2 -inf", TL_F16, 0xfc00, "emb[1,2] is -inf" },
		{ "tensor: i4 all bits", TL_I32, 0xffffffff, NULL },
		{ "tensor: u1 all bits", TL_U8, 0xff, NULL },
	};
	uint64_t shape[2] = { 2, 3 };
	struct tl_rec *r = tl_rec_new();
	struct tl_tensor t;
	struct tl_err err;

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		size_t es = tl_dtype_size(cases[i].dt);
		unsigned char *d = tl_rec_set_tensor(r, "emb", cases[i].dt, 2, shape);
		int rc;
		memset(d, 0, 6 * es);
		memcpy(d + 5 * es, &cases[i].bits, es); /* little-endian: the low bytes */
		err.msg[0] = '\0';
		rc = tl_rec_tensor(r, "emb", &t, &err);
		if (cases[i].msg == NULL)
			T_EQ_INT(cases[i].name, rc, 0);
		else
			T_EQ_STR(cases[i].name, rc < 0 ? err.msg : "(accepted)", cases[i].msg);
	}
	T_EQ_INT("tensor: f32 array finite", tl_f32_nonfinite((const float[]){ 1, -2, 3e38f }, 3), -1);
	T_EQ_INT("tensor: f32 array NaN at 1", tl_f32_nonfinite((const float[]){ 1, NAN, INFINITY }, 3), 1);
	tl_rec_free(r);
}

/* tl_header_expect: a whole number from 0 to 2^53, else none */
static void
test_expect(void)
{
	struct tl_rec *h = tl_rec_new();

	T_EQ_INT("expect: absent", tl_header_expect(h, TL_HEADER_EXPECT), -1);
	tl_rec_set_u64(h, TL_HEADER_EXPECT, 0);
	T_EQ_INT("expect: 0", tl_header_expect(h, TL_HEADER_EXPECT), 0);
	tl_rec_set_u64(h, TL_HEADER_EXPECT, (uint64_t)1 << 53);
	T_EQ_INT("expect: 2^53", tl_header_expect(h, TL_HEADER_EXPECT), 1LL << 53);
	tl_rec_set_u64(h, TL_HEADER_EXPECT, ((uint64_t)1 << 53) + 1);
	T_EQ_INT("expect: past 2^53", tl_header_expect(h, TL_HEADER_EXPECT), -1);
	tl_rec_set_i64(h, TL_HEADER_EXPECT, -3);
	T_EQ_INT("expect: negative", tl_header_expect(h, TL_HEADER_EXPECT), -1);
	tl_rec_set_f64(h, TL_HEADER_EXPECT, 12.0);
	T_EQ_INT("expect: a float", tl_header_expect(h, TL_HEADER_EXPECT), -1);
	tl_rec_set_str(h, TL_HEADER_EXPECT, "12");
	T_EQ_INT("expect: a string", tl_header_expect(h, TL_HEADER_EXPECT), -1);
	T_EQ_INT("expect: set", tl_header_set_expect(h, TL_HEADER_EXPECT, 7), 0);
	T_EQ_INT("expect: set reads back", tl_header_expect(h, TL_HEADER_EXPECT), 7);
	T_EQ_INT("expect: unset", tl_header_set_expect(h, TL_HEADER_EXPECT, -1), 0);
	T_OK("expect: unset removes", tl_rec_get(h, TL_HEADER_EXPECT) == NULL);
	tl_rec_free(h);
}

int
main(void)
{
	if (scratch_open("test_stream") != 0)
		return 2;
	test_round_trip();
	test_expect();
	test_edit();
	test_concat();
	test_broken();
	test_measure();
	test_packed_size();
	test_tensor_invalid();
	test_tensor_nonfinite();
	if (scratch_close(1) != 0)
		return 2;
	T_DONE();
}
