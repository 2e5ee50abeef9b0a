/*
 * stream.c - reading and writing record streams.
 *
 * Reading: bytes are buffered until tl_msgpack_measure says one whole object
 * is there and within the limits; only then msgpack-c unpacks it, into the
 * record's own arena.  msgpack-c reserves memory for a container as soon as it
 * reads the declared element count, so measuring first is what keeps a
 * five-byte hostile input from reserving gigabytes.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "stream/stream.h"

#define READ_CHUNK 65536

struct tl_reader {
	char *const *paths;
	int npaths, cur;   /* paths[cur] is being read */
	FILE *f;
	FILE *given;       /* the caller's FILE (tl_reader_open_file), not closed */
	const char *name;
	unsigned char *buf; /* buf[off..len) not yet consumed */
	size_t len, off, cap, max;
	struct tl_rec *header;  /* merged header */
	struct tl_rec *tmp;     /* scratch for headers and trailers */
	int in_segment;         /* a header was read, its trailer not yet */
	unsigned long long count; /* data records in the current segment */
	msgpack_zone zone;      /* unpack scratch, cleared per object */
};

struct tl_writer {
	FILE *f;
	const char *name;
	unsigned long long count;
	msgpack_sbuffer sbuf;
};

/* ---- measuring msgpack without trusting it ---- */

static uint64_t
be(const unsigned char *p, int n)
{
	uint64_t v = 0;

	for (int i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

long long
tl_msgpack_measure(const unsigned char *p, size_t len, size_t max, struct tl_err *err)
{
	uint64_t todo[TL_MAX_DEPTH + 1]; /* objects still to read at each level */
	int depth = 0;
	size_t off = 0;

	todo[0] = 1;
	while (depth > 0 || todo[0] > 0) {
		unsigned b;
		uint64_t body = 0, elems = 0;
		int hdr = 1, lenbytes = 0;

		if (todo[depth] == 0) {
			depth--;
			continue;
		}
		if (off >= len)
			return 0;
		b = p[off];
		if (b <= 0x7f || b >= 0xe0 || b == 0xc0 || b == 0xc2 || b == 0xc3)
			;
		else if (b <= 0x8f)
			elems = 2 * (uint64_t)(b & 0x0f);
		else if (b <= 0x9f)
			elems = b & 0x0f;
		else if (b <= 0xbf)
			body = b & 0x1f;
		else
			switch (b) {
			case 0xc4: case 0xd9: lenbytes = 1; break;
			case 0xc5: case 0xda: lenbytes = 2; break;
			case 0xc6: case 0xdb: lenbytes = 4; break;
			case 0xc7: lenbytes = 1; body = 1; break;
			case 0xc8: lenbytes = 2; body = 1; break;
			case 0xc9: lenbytes = 4; body = 1; break;
			case 0xca: hdr = 5; break;
			case 0xcb: hdr = 9; break;
			case 0xcc: case 0xd0: hdr = 2; break;
			case 0xcd: case 0xd1: hdr = 3; break;
			case 0xce: case 0xd2: hdr = 5; break;
			case 0xcf: case 0xd3: hdr = 9; break;
			case 0xd4: hdr = 3; break;
			case 0xd5: hdr = 4; break;
			case 0xd6: hdr = 6; break;
			case 0xd7: hdr = 10; break;
			case 0xd8: hdr = 18; break;
			case 0xdc: case 0xde: hdr = 3; break;
			case 0xdd: case 0xdf: hdr = 5; break;
			default:
				return tl_err_set(err, "malformed msgpack (byte 0x%02x at offset %zu)",
				    b, off);
			}
		if (lenbytes) {
			if (len - off < 1 + (size_t)lenbytes)
				return 0;
			body += be(p + off + 1, lenbytes);
			hdr = 1 + lenbytes;
		} else if (b >= 0xdc && b <= 0xdf) {
			if (len - off < (size_t)hdr)
				return 0;
			elems = be(p + off + 1, hdr - 1);
			if (b >= 0xde)
				elems *= 2;
		}
		if (body > max || off + hdr + body > max)
			return tl_err_set(err, "record larger than the limit of %zu bytes "
			    "(TL_MAX_RECORD)", max);
		/* every element takes at least one byte */
		if (elems > max - off)
			return tl_err_set(err, "record declares %llu elements, more than the "
			    "limit of %zu bytes could hold", (unsigned long long)elems, max);
		off += hdr + body;
		todo[depth]--;
		if (elems > 0) {
			if (depth == TL_MAX_DEPTH)
				return tl_err_set(err, "record nested deeper than %d levels",
				    TL_MAX_DEPTH);
			todo[++depth] = elems;
		}
	}
	if (off > len)
		return 0;
	return (long long)off;
}

size_t
tl_max_record(void)
{
	const char *lim = getenv("TL_MAX_RECORD");
	unsigned long long v;
	char *end;

	if (lim == NULL || *lim == '\0')
		return TL_MAX_RECORD_DEFAULT;
	errno = 0;
	v = strtoull(lim, &end, 10);
	if (*end != '\0' || errno != 0 || v < 1024)
		return TL_MAX_RECORD_DEFAULT;
	return (size_t)v;
}

/* ---- reader ---- */

static int
open_next(struct tl_reader *r, struct tl_err *err)
{
	const char *path = r->paths ? r->paths[r->cur] : "-";

	if (r->given != NULL) {
		r->f = r->given;
	} else if (strcmp(path, "-") == 0) {
		r->f = stdin;
		r->name = "stdin";
	} else {
		r->f = fopen(path, "rb");
		r->name = path;
		if (r->f == NULL)
			return tl_err_set(err, "%s: %s", path, strerror(errno));
	}
	r->len = r->off = 0;
	return 0;
}

/* Reads the next msgpack object of the current file into r->tmp-free form:
 * returns 1 and *o (valid until the next call), 0 at end of this file with
 * no byte left over, -1 on error. */
static int
next_object(struct tl_reader *r, msgpack_object *o, struct tl_err *err)
{
	for (;;) {
		/* nothing buffered yet: r->buf may be NULL, and NULL + 0 is undefined */
		long long n = r->len == r->off ? 0 :
		    tl_msgpack_measure(r->buf + r->off, r->len - r->off, r->max, err);
		size_t got, off = 0;

		if (n < 0)
			return tl_err_prefix(err, "%s", r->name);
		if (n > 0) {
			msgpack_zone_clear(&r->zone);
			if (msgpack_unpack((const char *)r->buf + r->off, (size_t)n, &off,
			    &r->zone, o) != MSGPACK_UNPACK_SUCCESS || off != (size_t)n)
				return tl_err_set(err, "%s: malformed msgpack", r->name);
			r->off += (size_t)n;
			return 1;
		}
		if (r->off > 0) { /* slide the unread tail to the front */
			memmove(r->buf, r->buf + r->off, r->len - r->off);
			r->len -= r->off;
			r->off = 0;
		}
		if (r->cap - r->len < READ_CHUNK) {
			size_t cap = r->cap ? 2 * r->cap : 4 * READ_CHUNK;
			unsigned char *p;
			if (cap > r->max + READ_CHUNK)
				cap = r->max + READ_CHUNK;
			if (cap <= r->cap || (p = realloc(r->buf, cap)) == NULL)
				return tl_err_set(err, "%s: out of memory", r->name);
			r->buf = p;
			r->cap = cap;
		}
		got = fread(r->buf + r->len, 1, r->cap - r->len, r->f);
		r->len += got;
		if (got == 0) {
			if (ferror(r->f))
				return tl_err_set(err, "%s: %s", r->name, strerror(errno));
			if (r->len == 0)
				return 0;
			return tl_err_set(err, "%s: truncated stream (ends inside a record)",
			    r->name);
		}
	}
}

/* A header or trailer is a map holding "tl". */
static int
is_control(const msgpack_object *o)
{
	return tl_obj_get(o, "tl") != NULL;
}

static int
take_header(struct tl_reader *r, const msgpack_object *o, struct tl_err *err)
{
	const msgpack_object *v = tl_obj_get(o, "tl");

	if (v->type != MSGPACK_OBJECT_POSITIVE_INTEGER || v->via.u64 != TL_STREAM_VERSION)
		return tl_err_set(err, "%s: stream format version is not %d", r->name,
		    TL_STREAM_VERSION);
	if (tl_rec_from_obj(r->tmp, o, err) < 0)
		return tl_err_prefix(err, "%s: header", r->name);
	if (r->header->n == 0) {
		if (tl_rec_copy(r->header, r->tmp) < 0)
			return tl_err_set(err, "out of memory");
	} else if (tl_header_merge(r->header, r->tmp, err) < 0)
		return tl_err_prefix(err, "%s", r->name);
	r->in_segment = 1;
	r->count = 0;
	return 0;
}

/* Reads control objects until a data record (1), the end of all input (0),
 * or an error (-1).  A data record is left in *o. */
static int
advance(struct tl_reader *r, msgpack_object *o, struct tl_err *err)
{
	for (;;) {
		int st = next_object(r, o, err);

		if (st < 0)
			return -1;
		if (st == 0) {
			if (r->in_segment)
				return tl_err_set(err, "%s: truncated stream (no trailer after "
				    "%llu records: did the tool before this one fail?)",
				    r->name, r->count);
			if (r->f != stdin && r->f != r->given)
				fclose(r->f);
			r->f = NULL;
			if (++r->cur >= r->npaths)
				return 0;
			if (open_next(r, err) < 0)
				return -1;
			continue;
		}
		if (o->type != MSGPACK_OBJECT_MAP)
			return tl_err_set(err, "%s: not a tl stream (an object that is not a map)",
			    r->name);
		if (!is_control(o)) {
			if (!r->in_segment)
				return tl_err_set(err, "%s: not a tl stream (record before any "
				    "header)", r->name);
			r->count++;
			return 1;
		}
		if (tl_obj_get(o, "end") != NULL) {
			const msgpack_object *e = tl_obj_get(o, "end");
			if (!r->in_segment)
				return tl_err_set(err, "%s: trailer without a header", r->name);
			if (e->type != MSGPACK_OBJECT_POSITIVE_INTEGER || e->via.u64 != r->count)
				return tl_err_set(err, "%s: trailer counts %llu records but %llu "
				    "were read", r->name,
				    e->type == MSGPACK_OBJECT_POSITIVE_INTEGER ?
				    (unsigned long long)e->via.u64 : 0ULL, r->count);
			r->in_segment = 0;
			continue;
		}
		if (r->in_segment)
			return tl_err_set(err, "%s: header inside a segment (a trailer is "
			    "missing)", r->name);
		if (take_header(r, o, err) < 0)
			return -1;
	}
}

static struct tl_reader *reader_start(char *const *paths, int n, FILE *given,
                                      const char *name, struct tl_err *err);

struct tl_reader *
tl_reader_open(char *const *paths, int n, struct tl_err *err)
{
	return reader_start(paths, n, NULL, NULL, err);
}

struct tl_reader *
tl_reader_open_file(FILE *f, const char *name, struct tl_err *err)
{
	return reader_start(NULL, 1, f, name, err);
}

static struct tl_reader *
reader_start(char *const *paths, int n, FILE *given, const char *name, struct tl_err *err)
{
	struct tl_reader *r = calloc(1, sizeof *r);
	msgpack_object o;
	int st;

	if (r == NULL) {
		tl_err_set(err, "out of memory");
		return NULL;
	}
	r->paths = paths;
	r->npaths = n > 0 ? n : 1;
	r->max = tl_max_record();
	if (n <= 0)
		r->paths = NULL, r->npaths = 1;
	r->given = given;
	msgpack_zone_init(&r->zone, 8192);
	r->header = tl_rec_new();
	r->tmp = tl_rec_new();
	if (r->header == NULL || r->tmp == NULL) {
		tl_err_set(err, "out of memory");
		goto fail;
	}
	if (open_next(r, err) < 0)
		goto fail;
	if (given != NULL)
		r->name = name;
	/* The first object of the first input must be a header. */
	st = next_object(r, &o, err);
	if (st == 0) {
		tl_err_set(err, "%s: empty input (no stream header: did the tool before "
		    "this one fail?)", r->name);
		goto fail;
	}
	if (st < 0)
		goto fail;
	if (o.type != MSGPACK_OBJECT_MAP || !is_control(&o) || tl_obj_get(&o, "end")) {
		tl_err_set(err, "%s: not a tl stream (no header)", r->name);
		goto fail;
	}
	if (take_header(r, &o, err) < 0)
		goto fail;
	return r;
fail:
	tl_reader_close(r);
	return NULL;
}

int
tl_reader_next(struct tl_reader *r, struct tl_rec *rec, struct tl_err *err)
{
	msgpack_object o;
	int st;

	if (r->f == NULL)
		return 0;
	st = advance(r, &o, err);
	if (st < 0)
		return TL_STOP;
	if (st == 0)
		return 0;
	if (tl_rec_from_obj(rec, &o, err) < 0)
		return tl_err_prefix(err, "%s: record %llu", r->name, r->count), TL_STOP;
	return 1;
}

const struct tl_rec *
tl_reader_header(const struct tl_reader *r)
{
	return r->header;
}

const char *
tl_reader_name(const struct tl_reader *r)
{
	return r->name;
}

void
tl_reader_close(struct tl_reader *r)
{
	if (r == NULL)
		return;
	if (r->f != NULL && r->f != stdin && r->f != r->given)
		fclose(r->f);
	free(r->buf);
	tl_rec_free(r->header);
	tl_rec_free(r->tmp);
	msgpack_zone_destroy(&r->zone);
	free(r);
}

/* ---- headers ---- */

static int
obj_equal(const msgpack_object *a, const msgpack_object *b)
{
	return msgpack_object_equal(*a, *b);
}

int
tl_header_merge(struct tl_rec *dst, const struct tl_rec *src, struct tl_err *err)
{
	static const char *const must_agree[] = { "classes", "model" };

	for (size_t i = 0; i < sizeof must_agree / sizeof must_agree[0]; i++) {
		const msgpack_object *a = tl_rec_get(dst, must_agree[i]);
		const msgpack_object *b = tl_rec_get(src, must_agree[i]);
		if (a != NULL && b != NULL && !obj_equal(a, b))
			return tl_err_set(err, "streams disagree on \"%s\": they cannot be "
			    "mixed", must_agree[i]);
	}
	for (size_t i = 0; i < src->n; i++) {
		const msgpack_object *k = &src->kv[i].key;
		char key[256];
		size_t n = k->via.str.size < sizeof key - 1 ? k->via.str.size : sizeof key - 1;
		memcpy(key, k->via.str.ptr, n);
		key[n] = '\0';
		if (tl_rec_get(dst, key) == NULL &&
		    tl_rec_set_obj(dst, key, &src->kv[i].val) < 0)
			return tl_err_set(err, "out of memory");
	}
	return 0;
}

int
tl_header_init(struct tl_rec *h, const char *producer, const struct tl_rec *from)
{
	tl_rec_clear(h);
	if (tl_rec_set_u64(h, "tl", TL_STREAM_VERSION) < 0 ||
	    tl_rec_set_str(h, "producer", producer) < 0)
		return -1;
	if (from == NULL)
		return 0;
	for (size_t i = 0; i < from->n; i++) {
		const msgpack_object *k = &from->kv[i].key;
		char key[256];
		size_t n = k->via.str.size < sizeof key - 1 ? k->via.str.size : sizeof key - 1;
		memcpy(key, k->via.str.ptr, n);
		key[n] = '\0';
		if (strcmp(key, "tl") == 0 || strcmp(key, "producer") == 0 ||
		    strcmp(key, "end") == 0)
			continue;
		if (tl_rec_set_obj(h, key, &from->kv[i].val) < 0)
			return -1;
	}
	return 0;
}

long long
tl_header_expect(const struct tl_rec *h, const char *key)
{
	const msgpack_object *v = tl_rec_get(h, key);

	/* a count no stream reaches (over 2^53) is noise, not a total */
	if (v == NULL || v->type != MSGPACK_OBJECT_POSITIVE_INTEGER ||
	    v->via.u64 > (uint64_t)1 << 53)
		return -1;
	return (long long)v->via.u64;
}

int
tl_header_set_expect(struct tl_rec *h, const char *key, long long n)
{
	if (n < 0) {
		tl_rec_del(h, key);
		return 0;
	}
	return tl_rec_set_u64(h, key, (uint64_t)n);
}

/* ---- writer ---- */

int
tl_rec_pack(const struct tl_rec *r, msgpack_sbuffer *buf)
{
	msgpack_packer pk;

	msgpack_packer_init(&pk, buf, msgpack_sbuffer_write);
	if (msgpack_pack_map(&pk, r->n) < 0)
		return -1;
	for (size_t i = 0; i < r->n; i++)
		if (msgpack_pack_object(&pk, r->kv[i].key) < 0 ||
		    msgpack_pack_object(&pk, r->kv[i].val) < 0)
			return -1;
	return 0;
}

/* Bytes msgpack_pack_object writes for a length-prefixed value of n
 * elements or bytes, given the largest n of its 1-byte ("fix") form (or 0
 * for none) and of its 8- and 16-bit forms (0: no 8-bit form). */
static uint64_t
pack_len(uint64_t n, uint64_t fix, uint64_t max8)
{
	if (n < fix)
		return 1;
	if (max8 != 0 && n < max8)
		return 2;
	return n < 65536 ? 3 : 5;
}

static uint64_t
packed_size(const msgpack_object *o)
{
	uint64_t n = 0;

	switch (o->type) {
	case MSGPACK_OBJECT_POSITIVE_INTEGER:
		return o->via.u64 < 128 ? 1 : o->via.u64 < 256 ? 2 : o->via.u64 < 65536 ? 3 :
		       o->via.u64 <= UINT32_MAX ? 5 : 9;
	case MSGPACK_OBJECT_NEGATIVE_INTEGER:
		return o->via.i64 >= -32 ? 1 : o->via.i64 >= INT8_MIN ? 2 :
		       o->via.i64 >= INT16_MIN ? 3 : o->via.i64 >= INT32_MIN ? 5 : 9;
	case MSGPACK_OBJECT_FLOAT32:
		return 5;
	case MSGPACK_OBJECT_FLOAT64:
		return 9;
	case MSGPACK_OBJECT_STR:
		return pack_len(o->via.str.size, 32, 256) + o->via.str.size;
	case MSGPACK_OBJECT_BIN:
		return pack_len(o->via.bin.size, 0, 256) + o->via.bin.size;
	case MSGPACK_OBJECT_EXT: /* fixext 1, 2, 4, 8, 16; else ext 8/16/32 */
		switch (o->via.ext.size) {
		case 1: case 2: case 4: case 8: case 16:
			return 2 + o->via.ext.size;
		}
		return pack_len(o->via.ext.size, 0, 256) + 1 + o->via.ext.size;
	case MSGPACK_OBJECT_ARRAY:
		for (uint32_t i = 0; i < o->via.array.size; i++)
			n += packed_size(&o->via.array.ptr[i]);
		return pack_len(o->via.array.size, 16, 0) + n;
	case MSGPACK_OBJECT_MAP:
		for (uint32_t i = 0; i < o->via.map.size; i++)
			n += packed_size(&o->via.map.ptr[i].key) +
			     packed_size(&o->via.map.ptr[i].val);
		return pack_len(o->via.map.size, 16, 0) + n;
	default: /* nil, boolean */
		return 1;
	}
}

uint64_t
tl_rec_packed_size(const struct tl_rec *r)
{
	uint64_t n = pack_len(r->n, 16, 0);

	for (size_t i = 0; i < r->n; i++)
		n += packed_size(&r->kv[i].key) + packed_size(&r->kv[i].val);
	return n;
}

static int
put(struct tl_writer *w, const struct tl_rec *rec, struct tl_err *err)
{
	msgpack_sbuffer_clear(&w->sbuf);
	if (tl_rec_pack(rec, &w->sbuf) < 0)
		return tl_err_set(err, "out of memory");
	if (fwrite(w->sbuf.data, 1, w->sbuf.size, w->f) != w->sbuf.size)
		return tl_err_set(err, "%s: %s", w->name, strerror(errno));
	return 0;
}

struct tl_writer *
tl_writer_open(FILE *f, const char *name, const struct tl_rec *h, struct tl_err *err)
{
	struct tl_writer *w;

	if (isatty(fileno(f))) {
		tl_err_set(err, "%s: refusing to write a binary stream to a terminal "
		    "(pipe it into another tool, or tl-cat to look at it)", name);
		return NULL;
	}
	if (tl_rec_get(h, "tl") == NULL) {
		tl_err_set(err, "%s: header without \"tl\"", name);
		return NULL;
	}
	if ((w = calloc(1, sizeof *w)) == NULL) {
		tl_err_set(err, "out of memory");
		return NULL;
	}
	w->f = f;
	w->name = name;
	msgpack_sbuffer_init(&w->sbuf);
	if (put(w, h, err) < 0) {
		tl_writer_abort(w);
		return NULL;
	}
	return w;
}

int
tl_writer_put(struct tl_writer *w, const struct tl_rec *rec, struct tl_err *err)
{
	if (rec->n == 0 || tl_rec_get(rec, "tl") != NULL)
		return tl_err_set(err, "a data record may not be empty or hold \"tl\"");
	if (put(w, rec, err) < 0)
		return -1;
	w->count++;
	return 0;
}

int
tl_writer_close(struct tl_writer *w, struct tl_err *err)
{
	msgpack_packer pk;
	int st = 0;

	msgpack_sbuffer_clear(&w->sbuf);
	msgpack_packer_init(&pk, &w->sbuf, msgpack_sbuffer_write);
	msgpack_pack_map(&pk, 2);
	msgpack_pack_str_with_body(&pk, "tl", 2);
	msgpack_pack_uint64(&pk, TL_STREAM_VERSION);
	msgpack_pack_str_with_body(&pk, "end", 3);
	msgpack_pack_uint64(&pk, w->count);
	if (fwrite(w->sbuf.data, 1, w->sbuf.size, w->f) != w->sbuf.size ||
	    fflush(w->f) != 0)
		st = tl_err_set(err, "%s: %s", w->name, strerror(errno));
	tl_writer_abort(w);
	return st;
}

void
tl_writer_abort(struct tl_writer *w)
{
	if (w == NULL)
		return;
	msgpack_sbuffer_destroy(&w->sbuf);
	free(w);
}

unsigned long long
tl_writer_count(const struct tl_writer *w)
{
	return w->count;
}
