/*
 * json.c - records to JSON text and JSON Lines back to records (json.h).
 *
 * The writer prints straight to a FILE, value by value, so a record's JSON
 * never exists whole in memory.  The reader is a small recursive-descent
 * parser that builds msgpack objects in a scratch zone (cleared per line) and
 * hands them to tl_rec_from_obj.  It is hand-written rather than jansson
 * because a stream holds 64-bit unsigned integers (phash) that jansson's
 * json_int_t cannot carry, and because building msgpack directly skips a
 * second tree.  Deliberately not here: pretty-printing (jq does it), JSON
 * Schema, comments or other JSON extensions.
 */
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/half.h"
#include "core/tensor.h"
#include "stream/json.h"
#include "stream/stream.h"

#define MAX_LINE ((size_t)4 << 30) /* bytes of one JSON line */
#define MAX_NUM 400                /* characters of one number */

/* ---- numbers ---------------------------------------------------------- */

/* Shortest text (C locale) that reads back as the same double, with a '.' or
 * an exponent so a JSON reader sees a float.  buf holds >= 32 bytes. */
static void
fmt_f64(char *buf, size_t n, double v)
{
	int p;

	for (p = 15; p < 17; p++) {
		snprintf(buf, n, "%.*g", p, v);
		if (strtod(buf, NULL) == v)
			break;
	}
	if (p == 17)
		snprintf(buf, n, "%.17g", v);
	if (strpbrk(buf, ".eE") == NULL)
		strcat(buf, ".0");
}

/* The same for a float32 value (at most 9 digits). */
static void
fmt_f32(char *buf, size_t n, float v)
{
	int p;

	for (p = 6; p < 9; p++) {
		snprintf(buf, n, "%.*g", p, (double)v);
		if (strtof(buf, NULL) == v)
			break;
	}
	if (p == 9)
		snprintf(buf, n, "%.9g", (double)v);
	if (strpbrk(buf, ".eE") == NULL)
		strcat(buf, ".0");
}

static uint32_t
le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

/* Element i of t as a double. */
static double
tensor_elem(const struct tl_tensor *t, uint64_t i)
{
	const unsigned char *p = t->data;
	uint32_t u;
	float f;

	switch (t->dtype) {
	case TL_U8:
		return p[i];
	case TL_I32:
		return (double)(int32_t)le32(p + 4 * i);
	case TL_F16:
		return tl_half_to_float((uint16_t)(p[2 * i] | p[2 * i + 1] << 8));
	case TL_F32:
	default:
		u = le32(p + 4 * i);
		memcpy(&f, &u, 4);
		return f;
	}
}

/* ---- writer ----------------------------------------------------------- */

static const char hexdig[] = "0123456789abcdef";
static const char b64[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Length of the valid UTF-8 sequence at s[0..n), 0 when invalid (overlong
 * forms, surrogates and code points past U+10FFFF are invalid). */
static size_t
utf8_len(const unsigned char *s, size_t n)
{
	uint32_t c;
	size_t len, i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2, c = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3, c = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4, c = s[0] & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (s[i] & 0x3f);
	}
	if ((len == 3 && c < 0x800) || (len == 4 && (c < 0x10000 || c > 0x10ffff)) ||
	    (c >= 0xd800 && c <= 0xdfff))
		return 0;
	return len;
}

void
tl_json_write_strn(FILE *f, const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0, k;

	while (i < n) {
		unsigned char c = s[i];

		if (c == '"' || c == '\\') {
			putc_unlocked('\\', f);
			putc_unlocked(c, f);
		} else if (c == '\n') {
			fputs("\\n", f);
		} else if (c == '\t') {
			fputs("\\t", f);
		} else if (c == '\r') {
			fputs("\\r", f);
		} else if (c < 0x20) {
			fprintf(f, "\\u%04x", c);
		} else if (c < 0x80) {
			putc_unlocked(c, f);
		} else if ((k = utf8_len(s + i, n - i)) > 0) {
			fwrite(s + i, 1, k, f);
			i += k;
			continue;
		} else {
			fputs("\xef\xbf\xbd", f); /* U+FFFD for one bad byte */
		}
		i++;
	}
}

static void
write_str(FILE *f, const char *s, size_t n)
{
	putc_unlocked('"', f);
	tl_json_write_strn(f, s, n);
	putc_unlocked('"', f);
}

static void
write_base64(FILE *f, const unsigned char *p, size_t n)
{
	size_t i;
	uint32_t v;

	putc_unlocked('"', f);
	for (i = 0; i + 3 <= n; i += 3) {
		v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
		putc_unlocked(b64[v >> 18], f);
		putc_unlocked(b64[v >> 12 & 63], f);
		putc_unlocked(b64[v >> 6 & 63], f);
		putc_unlocked(b64[v & 63], f);
	}
	if (n - i == 1) {
		v = (uint32_t)p[i] << 16;
		fprintf(f, "%c%c==", b64[v >> 18], b64[v >> 12 & 63]);
	} else if (n - i == 2) {
		v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8;
		fprintf(f, "%c%c%c=", b64[v >> 18], b64[v >> 12 & 63], b64[v >> 6 & 63]);
	}
	putc_unlocked('"', f);
}

static void
write_double(FILE *f, double v, int is_f32)
{
	char buf[64];

	if (!isfinite(v)) {
		fputs("null", f);
		return;
	}
	if (is_f32)
		fmt_f32(buf, sizeof buf, (float)v);
	else
		fmt_f64(buf, sizeof buf, v);
	fputs(buf, f);
}

/* A tensor value for the summary: integers exactly, floats as float32. */
static void
write_tensor_num(FILE *f, const struct tl_tensor *t, double v)
{
	if (t->dtype == TL_U8 || t->dtype == TL_I32)
		fprintf(f, "%.0f", v);
	else
		write_double(f, v, 1);
}

static void
write_tensor_data(FILE *f, const struct tl_tensor *t)
{
	uint64_t i;

	putc_unlocked('[', f);
	for (i = 0; i < t->count; i++) {
		if (i > 0)
			putc_unlocked(',', f);
		write_tensor_num(f, t, tensor_elem(t, i));
	}
	putc_unlocked(']', f);
}

static void
write_tensor_summary(FILE *f, const struct tl_tensor *t)
{
	double v, lo = INFINITY, hi = -INFINITY, sum = 0;
	uint64_t i, finite = 0;

	for (i = 0; i < t->count; i++) {
		v = tensor_elem(t, i);
		if (!isfinite(v))
			continue;
		finite++;
		sum += v;
		if (v < lo)
			lo = v;
		if (v > hi)
			hi = v;
	}
	if (finite == 0) {
		fputs("\"min\":null,\"max\":null,\"mean\":null", f);
	} else {
		fputs("\"min\":", f);
		write_tensor_num(f, t, lo);
		fputs(",\"max\":", f);
		write_tensor_num(f, t, hi);
		fprintf(f, ",\"mean\":%.9g", sum / (double)finite);
	}
	if (finite < t->count)
		fprintf(f, ",\"nonfinite\":%llu", (unsigned long long)(t->count - finite));
}

static void write_value(FILE *f, const msgpack_object *o, int flags);

/* Map keys are strings in a stream's records; a nested map may have others,
 * shown as the JSON text of the key. */
static void
write_key(FILE *f, const msgpack_object *k)
{
	char *text = NULL;
	size_t len = 0;
	FILE *m;

	if (k->type == MSGPACK_OBJECT_STR) {
		write_str(f, k->via.str.ptr, k->via.str.size);
		return;
	}
	m = open_memstream(&text, &len);
	if (m != NULL) {
		write_value(m, k, 0);
		fclose(m);
	}
	write_str(f, text ? text : "", text ? len : 0);
	free(text);
}

static void
write_map(FILE *f, const msgpack_object *o, int flags)
{
	const msgpack_object_kv *kv = o->via.map.ptr;
	struct tl_tensor t;
	uint32_t i;
	int tensor, first = 1;

	tensor = tl_tensor_view(o, &t, NULL) == 0;
	putc_unlocked('{', f);
	for (i = 0; i < o->via.map.size; i++) {
		if (tensor && tl_obj_is_str(&kv[i].key, "data") && !(flags & TL_JSON_FULL))
			continue;
		if (!first)
			putc_unlocked(',', f);
		first = 0;
		write_key(f, &kv[i].key);
		putc_unlocked(':', f);
		if (tensor && tl_obj_is_str(&kv[i].key, "data"))
			write_tensor_data(f, &t);
		else
			write_value(f, &kv[i].val, flags & ~TL_JSON_DATA);
	}
	if (tensor && !(flags & TL_JSON_FULL)) {
		if (!first)
			putc_unlocked(',', f);
		write_tensor_summary(f, &t);
	}
	putc_unlocked('}', f);
}

static void
write_value(FILE *f, const msgpack_object *o, int flags)
{
	uint32_t i;

	switch (o->type) {
	case MSGPACK_OBJECT_NIL:
		fputs("null", f);
		break;
	case MSGPACK_OBJECT_BOOLEAN:
		fputs(o->via.boolean ? "true" : "false", f);
		break;
	case MSGPACK_OBJECT_POSITIVE_INTEGER:
		fprintf(f, "%llu", (unsigned long long)o->via.u64);
		break;
	case MSGPACK_OBJECT_NEGATIVE_INTEGER:
		fprintf(f, "%lld", (long long)o->via.i64);
		break;
	case MSGPACK_OBJECT_FLOAT32:
		write_double(f, o->via.f64, 1);
		break;
	case MSGPACK_OBJECT_FLOAT64:
		write_double(f, o->via.f64, 0);
		break;
	case MSGPACK_OBJECT_STR:
		write_str(f, o->via.str.ptr, o->via.str.size);
		break;
	case MSGPACK_OBJECT_BIN:
		if (flags & TL_JSON_FULL) {
			fputs("{\"base64\":", f);
			write_base64(f, (const unsigned char *)o->via.bin.ptr, o->via.bin.size);
			putc_unlocked('}', f);
		} else {
			fprintf(f, "{\"bin\":%lu}", (unsigned long)o->via.bin.size);
		}
		break;
	case MSGPACK_OBJECT_EXT:
		fprintf(f, "{\"ext\":%d,\"bin\":%lu}", o->via.ext.type,
		        (unsigned long)o->via.ext.size);
		break;
	case MSGPACK_OBJECT_ARRAY:
		putc_unlocked('[', f);
		for (i = 0; i < o->via.array.size; i++) {
			if (i > 0)
				putc_unlocked(',', f);
			write_value(f, &o->via.array.ptr[i], flags);
		}
		putc_unlocked(']', f);
		break;
	case MSGPACK_OBJECT_MAP:
		write_map(f, o, flags);
		break;
	}
}

void
tl_json_write_obj(FILE *f, const msgpack_object *o, int flags)
{
	write_value(f, o, flags & ~TL_JSON_DATA);
}

int
tl_json_hex_field(const char *key, const msgpack_object *v, char hex[65])
{
	if (strcmp(key, "phash") == 0 && v->type == MSGPACK_OBJECT_POSITIVE_INTEGER) {
		snprintf(hex, 65, "%016llx", (unsigned long long)v->via.u64);
		return 1;
	}
	if (strcmp(key, "sha256") != 0 || v->type != MSGPACK_OBJECT_BIN || v->via.bin.size != 32)
		return 0;
	for (int j = 0; j < 32; j++) {
		unsigned char c = (unsigned char)v->via.bin.ptr[j];
		hex[2 * j] = hexdig[c >> 4];
		hex[2 * j + 1] = hexdig[c & 15];
	}
	hex[64] = '\0';
	return 1;
}

void
tl_json_write_field(FILE *f, const char *key, const msgpack_object *v, int flags)
{
	char hex[65];

	if ((flags & TL_JSON_DATA) && tl_json_hex_field(key, v, hex))
		fprintf(f, "\"%s\"", hex);
	else
		write_value(f, v, flags & ~TL_JSON_DATA);
}

int
tl_json_write_rec(FILE *f, const struct tl_rec *r, int flags, struct tl_err *err)
{
	const msgpack_object *k;
	char key[256];

	putc_unlocked('{', f);
	for (size_t i = 0; i < r->n; i++) {
		k = &r->kv[i].key;
		if (i > 0)
			putc_unlocked(',', f);
		write_key(f, k);
		putc_unlocked(':', f);
		snprintf(key, sizeof key, "%.*s", (int)k->via.str.size, k->via.str.ptr);
		tl_json_write_field(f, key, &r->kv[i].val, flags);
	}
	fputs("}\n", f);
	if (ferror(f))
		return tl_err_set(err, "write error: %s", strerror(errno));
	return 0;
}

/* ---- parser ----------------------------------------------------------- */

struct parser {
	const char *s, *p, *end;
	msgpack_zone zone;     /* every object of the current line */
	msgpack_object *stack; /* elements of the arrays and maps being built */
	size_t n, cap;
	int depth;
	struct tl_err *err;
};

static int
perr(struct parser *ps, const char *what)
{
	return tl_err_set(ps->err, "malformed JSON at byte %ld: %s", (long)(ps->p - ps->s), what);
}

static void
skip_ws(struct parser *ps)
{
	while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r'))
		ps->p++;
}

static int
push(struct parser *ps, const msgpack_object *o)
{
	msgpack_object *ns;
	size_t nc;

	if (ps->n == ps->cap) {
		nc = ps->cap ? 2 * ps->cap : 256;
		ns = realloc(ps->stack, nc * sizeof *ns);
		if (ns == NULL)
			return tl_err_set(ps->err, "out of memory");
		ps->stack = ns;
		ps->cap = nc;
	}
	ps->stack[ps->n++] = *o;
	return 0;
}

static void *
zalloc(struct parser *ps, size_t len)
{
	void *p = msgpack_zone_malloc(&ps->zone, len ? len : 1);

	if (p == NULL)
		tl_err_set(ps->err, "out of memory");
	return p;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int
hex4(const char *p, uint32_t *out)
{
	int i, h;

	*out = 0;
	for (i = 0; i < 4; i++) {
		if ((h = hexval((unsigned char)p[i])) < 0)
			return -1;
		*out = *out << 4 | (uint32_t)h;
	}
	return 0;
}

static char *
put_utf8(char *d, uint32_t c)
{
	if (c < 0x80) {
		*d++ = (char)c;
	} else if (c < 0x800) {
		*d++ = (char)(0xc0 | c >> 6);
		*d++ = (char)(0x80 | (c & 0x3f));
	} else if (c < 0x10000) {
		*d++ = (char)(0xe0 | c >> 12);
		*d++ = (char)(0x80 | (c >> 6 & 0x3f));
		*d++ = (char)(0x80 | (c & 0x3f));
	} else {
		*d++ = (char)(0xf0 | c >> 18);
		*d++ = (char)(0x80 | (c >> 12 & 0x3f));
		*d++ = (char)(0x80 | (c >> 6 & 0x3f));
		*d++ = (char)(0x80 | (c & 0x3f));
	}
	return d;
}

/* At the opening quote.  The decoded text is never longer than the raw one
 * (every escape shrinks), so one allocation of the raw length suffices. */
static int
parse_string(struct parser *ps, msgpack_object *o)
{
	const char *q, *start = ++ps->p;
	char *buf, *d;
	uint32_t c, c2;

	for (q = start; q < ps->end && *q != '"'; q++) {
		if ((unsigned char)*q < 0x20)
			return ps->p = q, perr(ps, "control character in string");
		if (*q == '\\')
			q++;
	}
	if (q >= ps->end)
		return ps->p = ps->end, perr(ps, "unterminated string");
	if ((size_t)(q - start) > UINT32_MAX)
		return perr(ps, "string too long");
	if ((buf = zalloc(ps, (size_t)(q - start))) == NULL)
		return -1;
	d = buf;
	for (ps->p = start; ps->p < q; ps->p++) {
		if (*ps->p != '\\') {
			*d++ = *ps->p;
			continue;
		}
		switch (*++ps->p) {
		case '"': *d++ = '"'; break;
		case '\\': *d++ = '\\'; break;
		case '/': *d++ = '/'; break;
		case 'b': *d++ = '\b'; break;
		case 'f': *d++ = '\f'; break;
		case 'n': *d++ = '\n'; break;
		case 'r': *d++ = '\r'; break;
		case 't': *d++ = '\t'; break;
		case 'u':
			if (q - ps->p < 5 || hex4(ps->p + 1, &c) < 0)
				return perr(ps, "bad \\u escape");
			ps->p += 4;
			if (c >= 0xd800 && c <= 0xdbff && q - ps->p >= 7 && ps->p[1] == '\\' &&
			    ps->p[2] == 'u' && hex4(ps->p + 3, &c2) == 0 && c2 >= 0xdc00 &&
			    c2 <= 0xdfff) {
				c = 0x10000 + ((c - 0xd800) << 10) + (c2 - 0xdc00);
				ps->p += 6;
			} else if (c >= 0xd800 && c <= 0xdfff) {
				c = 0xfffd; /* a lone surrogate */
			}
			d = put_utf8(d, c);
			break;
		default:
			return perr(ps, "bad escape");
		}
	}
	ps->p = q + 1;
	o->type = MSGPACK_OBJECT_STR;
	o->via.str.ptr = buf;
	o->via.str.size = (uint32_t)(d - buf);
	return 0;
}

/* JSON's number grammar; integers become msgpack integers when they fit in
 * 64 bits (either sign), everything else float64. */
static int
parse_number(struct parser *ps, msgpack_object *o)
{
	const char *p = ps->p;
	char buf[MAX_NUM + 1];
	int is_float = 0;
	size_t len;

	if (p < ps->end && *p == '-')
		p++;
	if (p >= ps->end || !(*p >= '0' && *p <= '9'))
		return perr(ps, "bad number");
	if (*p == '0')
		p++;
	else
		while (p < ps->end && *p >= '0' && *p <= '9')
			p++;
	if (p < ps->end && *p == '.') {
		is_float = 1;
		if (++p >= ps->end || !(*p >= '0' && *p <= '9'))
			return perr(ps, "bad number");
		while (p < ps->end && *p >= '0' && *p <= '9')
			p++;
	}
	if (p < ps->end && (*p == 'e' || *p == 'E')) {
		is_float = 1;
		p++;
		if (p < ps->end && (*p == '+' || *p == '-'))
			p++;
		if (p >= ps->end || !(*p >= '0' && *p <= '9'))
			return perr(ps, "bad number");
		while (p < ps->end && *p >= '0' && *p <= '9')
			p++;
	}
	len = (size_t)(p - ps->p);
	if (len > MAX_NUM)
		return perr(ps, "number too long");
	memcpy(buf, ps->p, len);
	buf[len] = '\0';
	ps->p = p;
	errno = 0;
	if (!is_float && buf[0] == '-') {
		long long v = strtoll(buf, NULL, 10);

		if (errno == 0) {
			o->type = v < 0 ? MSGPACK_OBJECT_NEGATIVE_INTEGER : MSGPACK_OBJECT_POSITIVE_INTEGER;
			o->via.i64 = v;
			return 0;
		}
	} else if (!is_float) {
		unsigned long long v = strtoull(buf, NULL, 10);

		if (errno == 0) {
			o->type = MSGPACK_OBJECT_POSITIVE_INTEGER;
			o->via.u64 = v;
			return 0;
		}
	}
	o->type = MSGPACK_OBJECT_FLOAT64;
	o->via.f64 = strtod(buf, NULL);
	return 0;
}

static int
parse_literal(struct parser *ps, const char *word)
{
	size_t n = strlen(word);

	if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, word, n) != 0)
		return perr(ps, "unexpected character");
	ps->p += n;
	return 0;
}

static int parse_value(struct parser *ps, msgpack_object *o);

/* At '[' or '{': elements go on the stack, then into one zone array. */
static int
parse_container(struct parser *ps, msgpack_object *o)
{
	int is_map = *ps->p == '{';
	char close = is_map ? '}' : ']';
	size_t base = ps->n, count;
	msgpack_object v;

	if (++ps->depth > TL_MAX_DEPTH)
		return perr(ps, "nested too deeply");
	ps->p++;
	skip_ws(ps);
	if (ps->p < ps->end && *ps->p == close) {
		ps->p++;
	} else {
		for (;;) {
			skip_ws(ps);
			if (is_map) {
				if (ps->p >= ps->end || *ps->p != '"')
					return perr(ps, "expected a string key");
				if (parse_string(ps, &v) < 0 || push(ps, &v) < 0)
					return -1;
				skip_ws(ps);
				if (ps->p >= ps->end || *ps->p != ':')
					return perr(ps, "expected ':'");
				ps->p++;
			}
			if (parse_value(ps, &v) < 0 || push(ps, &v) < 0)
				return -1;
			skip_ws(ps);
			if (ps->p < ps->end && *ps->p == ',') {
				ps->p++;
				continue;
			}
			if (ps->p < ps->end && *ps->p == close) {
				ps->p++;
				break;
			}
			return perr(ps, is_map ? "expected ',' or '}'" : "expected ',' or ']'");
		}
	}
	count = ps->n - base;
	if (is_map)
		count /= 2;
	if (count > UINT32_MAX)
		return perr(ps, "too many elements");
	if (is_map) {
		msgpack_object_kv *kv = zalloc(ps, count * sizeof *kv);

		if (kv == NULL)
			return -1;
		for (size_t i = 0; i < count; i++) {
			kv[i].key = ps->stack[base + 2 * i];
			kv[i].val = ps->stack[base + 2 * i + 1];
		}
		o->type = MSGPACK_OBJECT_MAP;
		o->via.map.ptr = kv;
		o->via.map.size = (uint32_t)count;
	} else {
		msgpack_object *a = zalloc(ps, count * sizeof *a);

		if (a == NULL)
			return -1;
		if (count > 0)
			memcpy(a, ps->stack + base, count * sizeof *a);
		o->type = MSGPACK_OBJECT_ARRAY;
		o->via.array.ptr = a;
		o->via.array.size = (uint32_t)count;
	}
	ps->n = base;
	ps->depth--;
	return 0;
}

static int
parse_value(struct parser *ps, msgpack_object *o)
{
	skip_ws(ps);
	if (ps->p >= ps->end)
		return perr(ps, "unexpected end");
	switch (*ps->p) {
	case '{':
	case '[':
		return parse_container(ps, o);
	case '"':
		return parse_string(ps, o);
	case 't':
		o->type = MSGPACK_OBJECT_BOOLEAN;
		o->via.boolean = true;
		return parse_literal(ps, "true");
	case 'f':
		o->type = MSGPACK_OBJECT_BOOLEAN;
		o->via.boolean = false;
		return parse_literal(ps, "false");
	case 'n':
		o->type = MSGPACK_OBJECT_NIL;
		return parse_literal(ps, "null");
	default:
		return parse_number(ps, o);
	}
}

/* ---- from the JSON form back to stream values ------------------------- */

static int
b64val(int c)
{
	const char *p = c ? strchr(b64, c) : NULL;

	return p ? (int)(p - b64) : -1;
}

/* {"base64": s} -> bin: standard alphabet, "=" padding optional. */
static int
decode_base64(struct parser *ps, msgpack_object *o, const msgpack_object *s)
{
	const char *p = s->via.str.ptr;
	size_t n = s->via.str.size, pad = 0, i, k = 0;
	unsigned char *out;
	uint32_t acc = 0;
	int bits = 0, v;

	while (pad < 2 && n > 0 && p[n - 1] == '=')
		n--, pad++;
	if (n % 4 == 1 || (pad > 0 && (n + pad) % 4 != 0))
		return tl_err_set(ps->err, "bad base64");
	if ((out = zalloc(ps, n / 4 * 3 + 2)) == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		if ((v = b64val((unsigned char)p[i])) < 0)
			return tl_err_set(ps->err, "bad base64");
		acc = acc << 6 | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[k++] = (unsigned char)(acc >> bits);
		}
	}
	o->type = MSGPACK_OBJECT_BIN;
	o->via.bin.ptr = (const char *)out;
	o->via.bin.size = (uint32_t)k;
	return 0;
}

static int
num_of(const msgpack_object *v, double *out)
{
	switch (v->type) {
	case MSGPACK_OBJECT_POSITIVE_INTEGER: *out = (double)v->via.u64; return 0;
	case MSGPACK_OBJECT_NEGATIVE_INTEGER: *out = (double)v->via.i64; return 0;
	case MSGPACK_OBJECT_FLOAT32:
	case MSGPACK_OBJECT_FLOAT64: *out = v->via.f64; return 0;
	case MSGPACK_OBJECT_NIL: *out = NAN; return 0;
	default: return -1;
	}
}

/* A map with "dtype", "shape" and a "data" list: the list becomes the
 * little-endian bytes of the tensor. */
static int
encode_tensor(struct parser *ps, const msgpack_object *map, msgpack_object *data)
{
	const msgpack_object *dt = tl_obj_get(map, "dtype"), *sh = tl_obj_get(map, "shape");
	const msgpack_object_array *a = &data->via.array;
	enum tl_dtype type;
	uint64_t count = 1, d;
	unsigned char *out, *q;
	uint32_t i, u;
	double v;
	float fv;
	size_t es;

	if (dt->type != MSGPACK_OBJECT_STR || tl_dtype_parse(dt->via.str.ptr, dt->via.str.size, &type) < 0)
		return tl_err_set(ps->err, "unknown dtype");
	if (sh->type != MSGPACK_OBJECT_ARRAY || sh->via.array.size < 1 ||
	    sh->via.array.size > TL_TENSOR_MAXDIM)
		return tl_err_set(ps->err, "shape must be a list of 1 to %d sizes", TL_TENSOR_MAXDIM);
	for (i = 0; i < sh->via.array.size; i++) {
		if (sh->via.array.ptr[i].type != MSGPACK_OBJECT_POSITIVE_INTEGER)
			return tl_err_set(ps->err, "shape must be a list of sizes");
		d = sh->via.array.ptr[i].via.u64;
		if (d != 0 && count > UINT32_MAX / d)
			return tl_err_set(ps->err, "shape too large");
		count *= d;
	}
	if (count != a->size)
		return tl_err_set(ps->err, "%lu values for %llu elements of the shape",
		                  (unsigned long)a->size, (unsigned long long)count);
	es = tl_dtype_size(type);
	if (count * es > UINT32_MAX)
		return tl_err_set(ps->err, "tensor too large");
	if ((out = zalloc(ps, count * es)) == NULL)
		return -1;
	for (i = 0, q = out; i < a->size; i++, q += es) {
		if (num_of(&a->ptr[i], &v) < 0)
			return tl_err_set(ps->err, "data holds a non-number");
		if ((type == TL_U8 && !(v >= 0 && v <= 255 && v == floor(v))) ||
		    (type == TL_I32 && !(v >= INT32_MIN && v <= INT32_MAX && v == floor(v))))
			return tl_err_set(ps->err, "value out of range for %s",
			                  tl_dtype_name(type));
		if (fabs(v) > FLT_MAX) /* no undefined double -> float narrowing */
			v = v > 0 ? INFINITY : -INFINITY;
		switch (type) {
		case TL_U8:
			q[0] = (unsigned char)v;
			break;
		case TL_F16:
			u = tl_half_from_float((float)v);
			q[0] = (unsigned char)u;
			q[1] = (unsigned char)(u >> 8);
			break;
		case TL_I32:
		case TL_F32:
			if (type == TL_I32) {
				u = (uint32_t)(int32_t)v;
			} else {
				fv = (float)v;
				memcpy(&u, &fv, 4);
			}
			q[0] = (unsigned char)u;
			q[1] = (unsigned char)(u >> 8);
			q[2] = (unsigned char)(u >> 16);
			q[3] = (unsigned char)(u >> 24);
			break;
		}
	}
	data->type = MSGPACK_OBJECT_BIN;
	data->via.bin.ptr = (const char *)out;
	data->via.bin.size = (uint32_t)(count * es);
	return 0;
}

/* Rewrites the JSON form in place (json.h); errors name the field. */
static int
convert(struct parser *ps, msgpack_object *o, const char *field)
{
	msgpack_object_kv *kv;
	msgpack_object *data = NULL;
	uint32_t i;

	if (o->type == MSGPACK_OBJECT_ARRAY) {
		for (i = 0; i < o->via.array.size; i++)
			if (convert(ps, &o->via.array.ptr[i], field) < 0)
				return -1;
		return 0;
	}
	if (o->type != MSGPACK_OBJECT_MAP)
		return 0;
	kv = o->via.map.ptr;
	if (o->via.map.size == 1 && tl_obj_is_str(&kv[0].key, "base64") &&
	    kv[0].val.type == MSGPACK_OBJECT_STR) {
		if (decode_base64(ps, o, &kv[0].val) < 0)
			return tl_err_prefix(ps->err, "%s", field);
		return 0;
	}
	if (tl_obj_get(o, "bin") != NULL && (o->via.map.size == 1 ||
	    (o->via.map.size == 2 && tl_obj_get(o, "ext") != NULL)))
		return tl_err_set(ps->err, "%s: a summary ({\"bin\": n}) cannot be read back; "
		                  "print with tl-cat --full", field);
	for (i = 0; i < o->via.map.size; i++) {
		if (convert(ps, &kv[i].val, field) < 0)
			return -1;
		if (tl_obj_is_str(&kv[i].key, "data"))
			data = &kv[i].val;
	}
	if (tl_obj_get(o, "dtype") == NULL || tl_obj_get(o, "shape") == NULL)
		return 0;
	if (data == NULL && tl_obj_get(o, "mean") != NULL)
		return tl_err_set(ps->err, "%s: a tensor summary cannot be read back; "
		                  "print with tl-cat --full", field);
	if (data == NULL || data->type != MSGPACK_OBJECT_ARRAY)
		return 0;
	if (encode_tensor(ps, o, data) < 0)
		return tl_err_prefix(ps->err, "%s", field);
	return 0;
}

static int
all_hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (hexval((unsigned char)s[i]) < 0)
			return 0;
	return 1;
}

/* A data record's "sha256" of 64 hex digits -> bin(32), "phash" of 16 ->
 * uint64 (the reverse of tl_json_hex_field). */
static int
unhex_field(struct parser *ps, const char *key, msgpack_object *v)
{
	const char *s = v->via.str.ptr;
	unsigned char *out;
	uint64_t h = 0;
	int i;

	if (v->type != MSGPACK_OBJECT_STR)
		return 0;
	if (strcmp(key, "phash") == 0 && v->via.str.size == 16 && all_hex(s, 16)) {
		for (i = 0; i < 16; i++)
			h = h << 4 | (uint64_t)hexval((unsigned char)s[i]);
		v->type = MSGPACK_OBJECT_POSITIVE_INTEGER;
		v->via.u64 = h;
		return 0;
	}
	if (strcmp(key, "sha256") != 0 || v->via.str.size != 64 || !all_hex(s, 64))
		return 0;
	if ((out = zalloc(ps, 32)) == NULL)
		return -1;
	for (i = 0; i < 32; i++)
		out[i] = (unsigned char)(hexval((unsigned char)s[2 * i]) << 4 |
		                         hexval((unsigned char)s[2 * i + 1]));
	v->type = MSGPACK_OBJECT_BIN;
	v->via.bin.ptr = (const char *)out;
	v->via.bin.size = 32;
	return 0;
}

/* Parses s[0..len) to one top-level object in ps->zone (not yet converted). */
static int
parse_top(struct parser *ps, const char *s, size_t len, msgpack_object *o)
{
	msgpack_zone_clear(&ps->zone);
	ps->s = ps->p = s;
	ps->end = s + len;
	ps->n = 0;
	ps->depth = 0;
	skip_ws(ps);
	if (ps->p < ps->end && *ps->p != '{')
		return tl_err_set(ps->err, "not a JSON object");
	if (parse_value(ps, o) < 0)
		return -1;
	skip_ws(ps);
	if (ps->p != ps->end)
		return perr(ps, "trailing characters after the object");
	return 0;
}

/* Applies the conversions to a parsed top-level map and copies it to rec. */
static int
finish(struct parser *ps, msgpack_object *o, struct tl_rec *rec, int data)
{
	msgpack_object_kv *kv = o->via.map.ptr;
	char field[256];
	uint32_t i, j;

	for (i = 0; i < o->via.map.size; i++) {
		snprintf(field, sizeof field, "%.*s", (int)kv[i].key.via.str.size,
		         kv[i].key.via.str.ptr);
		for (j = 0; j < i; j++)
			if (kv[j].key.via.str.size == kv[i].key.via.str.size &&
			    memcmp(kv[j].key.via.str.ptr, kv[i].key.via.str.ptr,
			           kv[i].key.via.str.size) == 0)
				return tl_err_set(ps->err, "duplicate key \"%s\"", field);
		if (convert(ps, &kv[i].val, field) < 0)
			return -1;
		if (data && unhex_field(ps, field, &kv[i].val) < 0)
			return -1;
	}
	return tl_rec_from_obj(rec, o, ps->err);
}

static int
parser_init(struct parser *ps)
{
	memset(ps, 0, sizeof *ps);
	return msgpack_zone_init(&ps->zone, 64 * 1024) ? 0 : -1;
}

static void
parser_free(struct parser *ps)
{
	msgpack_zone_destroy(&ps->zone);
	free(ps->stack);
}

int
tl_json_parse_rec(const char *s, size_t len, struct tl_rec *rec, int data, struct tl_err *err)
{
	struct parser ps;
	msgpack_object o;
	int rc;

	if (parser_init(&ps) < 0)
		return tl_err_set(err, "out of memory");
	ps.err = err;
	rc = parse_top(&ps, s, len, &o);
	if (rc == 0)
		rc = finish(&ps, &o, rec, data);
	parser_free(&ps);
	return rc;
}

/* ---- JSON Lines reader ------------------------------------------------ */

struct tl_json_reader {
	char *const *paths;
	int npaths, next;       /* next: index of the next file to open */
	FILE *f;                /* current input; NULL between files */
	const char *name;       /* for messages: "stdin" or the path */
	unsigned long long line;
	char *buf;
	size_t cap;
	struct parser ps;
	struct tl_rec *hdr, *tmp;
	int have_hdr;
	char where[300]; /* "name:line" */
};

static const char *const stdin_path[] = {"-"};

static int
open_next(struct tl_json_reader *jr, struct tl_err *err)
{
	const char *path = jr->paths[jr->next++];

	jr->line = 0;
	if (strcmp(path, "-") == 0) {
		jr->f = stdin;
		jr->name = "stdin";
		return 0;
	}
	jr->name = path;
	if ((jr->f = fopen(path, "r")) == NULL)
		return tl_err_set(err, "%s: %s", path, strerror(errno));
	return 0;
}

static void
close_cur(struct tl_json_reader *jr)
{
	if (jr->f != NULL && jr->f != stdin)
		fclose(jr->f);
	jr->f = NULL;
}

struct tl_json_reader *
tl_json_reader_open(char *const *paths, int n, struct tl_err *err)
{
	struct tl_json_reader *jr = calloc(1, sizeof *jr);

	if (jr == NULL || parser_init(&jr->ps) < 0) {
		free(jr);
		tl_err_set(err, "out of memory");
		return NULL;
	}
	jr->paths = n > 0 ? paths : (char *const *)stdin_path;
	jr->npaths = n > 0 ? n : 1;
	jr->hdr = tl_rec_new();
	jr->tmp = tl_rec_new();
	if (jr->hdr == NULL || jr->tmp == NULL) {
		tl_err_set(err, "out of memory");
		tl_json_reader_close(jr);
		return NULL;
	}
	if (open_next(jr, err) < 0) {
		tl_json_reader_close(jr);
		return NULL;
	}
	return jr;
}

void
tl_json_reader_close(struct tl_json_reader *jr)
{
	if (jr == NULL)
		return;
	close_cur(jr);
	parser_free(&jr->ps);
	tl_rec_free(jr->hdr);
	tl_rec_free(jr->tmp);
	free(jr->buf);
	free(jr);
}

const char *
tl_json_reader_where(struct tl_json_reader *jr)
{
	snprintf(jr->where, sizeof jr->where, "%s:%llu", jr->name, jr->line);
	return jr->where;
}

const struct tl_rec *
tl_json_reader_header(const struct tl_json_reader *jr)
{
	return jr->have_hdr ? jr->hdr : NULL;
}

/* Reads one line (without its newline) into jr->buf.  1: a line (*len set),
 * 0: end of this file, -1: read error, -2: line over MAX_LINE (skipped). */
static int
read_line(struct tl_json_reader *jr, size_t *len, struct tl_err *err)
{
	size_t n = 0;
	int c, over = 0;

	while ((c = getc_unlocked(jr->f)) != EOF && c != '\n') {
		if (over)
			continue;
		if (n + 1 >= jr->cap) {
			size_t nc = jr->cap ? 2 * jr->cap : 4096;
			char *nb;

			if (nc > MAX_LINE) {
				over = 1;
				continue;
			}
			if ((nb = realloc(jr->buf, nc)) == NULL)
				return tl_err_set(err, "out of memory");
			jr->buf = nb;
			jr->cap = nc;
		}
		jr->buf[n++] = (char)c;
	}
	if (ferror(jr->f))
		return tl_err_set(err, "%s: %s", jr->name, strerror(errno));
	if (c == EOF && n == 0 && !over)
		return 0;
	jr->line++;
	if (over) {
		tl_err_set(err, "line longer than %zu bytes", MAX_LINE);
		return -2;
	}
	*len = n;
	return 1;
}

static int
blank(const char *s, size_t n)
{
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
		n--;
	return n == 0;
}

/* A header line: the first is kept as it is, later ones merged into it. */
static int
take_header(struct tl_json_reader *jr, msgpack_object *o, struct tl_err *err)
{
	const msgpack_object *v = tl_obj_get(o, "tl");

	if (v->type != MSGPACK_OBJECT_POSITIVE_INTEGER || v->via.u64 != TL_STREAM_VERSION)
		return tl_err_set(err, "%s:%llu: unsupported stream version", jr->name, jr->line);
	if (tl_obj_get(o, "end") != NULL)
		return 0; /* a trailer */
	if (finish(&jr->ps, o, jr->have_hdr ? jr->tmp : jr->hdr, 0) < 0)
		return tl_err_prefix(err, "%s:%llu: header", jr->name, jr->line);
	if (jr->have_hdr && tl_header_merge(jr->hdr, jr->tmp, err) < 0)
		return tl_err_prefix(err, "%s:%llu", jr->name, jr->line);
	jr->have_hdr = 1;
	return 0;
}

int
tl_json_reader_next(struct tl_json_reader *jr, struct tl_rec *rec, struct tl_err *err)
{
	const msgpack_object *v;
	msgpack_object o;
	size_t len = 0;
	int rc;

	jr->ps.err = err;
	for (;;) {
		if (jr->f == NULL) {
			if (jr->next >= jr->npaths)
				return 0;
			if (open_next(jr, err) < 0)
				return -1;
		}
		if ((rc = read_line(jr, &len, err)) == 0) {
			close_cur(jr);
			continue;
		}
		if (rc < 0)
			return rc;
		if (blank(jr->buf, len))
			continue;
		if (parse_top(&jr->ps, jr->buf, len, &o) < 0)
			return -2;
		if (tl_obj_get(&o, "tl") != NULL) {
			if ((rc = take_header(jr, &o, err)) < 0)
				return rc;
			continue;
		}
		if (finish(&jr->ps, &o, rec, 1) < 0)
			return -2;
		v = tl_rec_get(rec, "id");
		if (v == NULL || v->type != MSGPACK_OBJECT_STR) {
			tl_err_set(err, "a record needs a string \"id\"");
			return -2;
		}
		return 1;
	}
}
