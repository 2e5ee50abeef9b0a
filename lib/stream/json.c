/*
 * json.c - JSON text (json.h): shortest numbers, escaped strings, base64,
 * the comma-keeping writer, and the parser of one object to msgpack.
 *
 * The writers print straight to a FILE, value by value, so a document never
 * exists whole in memory.  The parser builds msgpack objects in a scratch
 * zone (cleared per parse): its elements wait on a stack until their
 * container closes, then move into one zone array.  What a record looks like
 * as JSON is recjson.c's business, not this file's.
 */
#include <assert.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "stream/json.h"
#include "stream/stream.h"

#define MAX_NUM 400 /* characters of one number */

/* ---- numbers ---------------------------------------------------------- */

/* Tries 15 and 16 significant digits before 17, which always reads back. */
void
tl_json_fmt_double(char buf[TL_JSON_NUMLEN], double v)
{
	int p;

	for (p = 15; p < 17; p++) {
		snprintf(buf, TL_JSON_NUMLEN, "%.*g", p, v);
		if (strtod(buf, NULL) == v)
			break;
	}
	if (p == 17)
		snprintf(buf, TL_JSON_NUMLEN, "%.17g", v);
	if (strpbrk(buf, ".eE") == NULL)
		strcat(buf, ".0");
}

/* 6 to 9 digits, strtof deciding. */
void
tl_json_fmt_float(char buf[TL_JSON_NUMLEN], float v)
{
	int p;

	for (p = 6; p < 9; p++) {
		snprintf(buf, TL_JSON_NUMLEN, "%.*g", p, (double)v);
		if (strtof(buf, NULL) == v)
			break;
	}
	if (p == 9)
		snprintf(buf, TL_JSON_NUMLEN, "%.9g", (double)v);
	if (strpbrk(buf, ".eE") == NULL)
		strcat(buf, ".0");
}

void
tl_json_double(FILE *f, double v)
{
	char buf[TL_JSON_NUMLEN];

	if (!isfinite(v)) {
		fputs("null", f);
		return;
	}
	tl_json_fmt_double(buf, v);
	fputs(buf, f);
}

void
tl_json_float(FILE *f, float v)
{
	char buf[TL_JSON_NUMLEN];

	if (!isfinite(v)) {
		fputs("null", f);
		return;
	}
	tl_json_fmt_float(buf, v);
	fputs(buf, f);
}

/* ---- strings and bytes ------------------------------------------------ */

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

void
tl_json_strn(FILE *f, const char *s, size_t n)
{
	putc_unlocked('"', f);
	tl_json_write_strn(f, s, n);
	putc_unlocked('"', f);
}

void
tl_json_str(FILE *f, const char *s)
{
	tl_json_strn(f, s ? s : "", s ? strlen(s) : 0);
}

void
tl_json_base64(FILE *f, const void *p, size_t n)
{
	const unsigned char *s = p;
	char buf[4 * 1024 + 8]; /* g_base64_encode_step: (3072 / 3 + 1) * 4 + 4 */
	size_t i, k;
	gint state = 0, save = 0;

	putc_unlocked('"', f);
	for (i = 0; i < n; i += k) {
		k = n - i < 3072 ? n - i : 3072;
		fwrite(buf, 1, g_base64_encode_step(s + i, k, FALSE, buf, &state, &save), f);
	}
	fwrite(buf, 1, g_base64_encode_close(FALSE, buf, &state, &save), f);
	putc_unlocked('"', f);
}

/* ---- the writer of nested values -------------------------------------- */

void
tl_json_out_init(struct tl_json_out *o, FILE *f)
{
	memset(o, 0, sizeof *o);
	o->f = f;
}

/* Before a value or a key: the comma, unless it is the first in its
 * container or the value of the key just written. */
static void
sep(struct tl_json_out *o)
{
	if (o->key) {
		o->key = 0;
		return;
	}
	if (o->depth > 0) {
		if (o->more[o->depth - 1])
			putc_unlocked(',', o->f);
		o->more[o->depth - 1] = 1;
	}
}

static void
begin(struct tl_json_out *o, char open, char close)
{
	assert(o->depth < TL_JSON_OUT_DEPTH);
	sep(o);
	putc_unlocked(open, o->f);
	o->close[o->depth] = close;
	o->more[o->depth] = 0;
	o->depth++;
}

void
tl_json_begin_obj(struct tl_json_out *o)
{
	begin(o, '{', '}');
}

void
tl_json_begin_list(struct tl_json_out *o)
{
	begin(o, '[', ']');
}

void
tl_json_end(struct tl_json_out *o)
{
	assert(o->depth > 0);
	o->depth--;
	putc_unlocked(o->close[o->depth], o->f);
}

void
tl_json_key(struct tl_json_out *o, const char *k)
{
	sep(o);
	tl_json_str(o->f, k);
	putc_unlocked(':', o->f);
	o->key = 1;
}

void
tl_json_put_double(struct tl_json_out *o, double v)
{
	sep(o);
	tl_json_double(o->f, v);
}

void
tl_json_put_int(struct tl_json_out *o, long long v)
{
	sep(o);
	fprintf(o->f, "%lld", v);
}

void
tl_json_put_uint(struct tl_json_out *o, unsigned long long v)
{
	sep(o);
	fprintf(o->f, "%llu", v);
}

void
tl_json_put_str(struct tl_json_out *o, const char *s)
{
	sep(o);
	tl_json_str(o->f, s);
}

void
tl_json_put_null(struct tl_json_out *o)
{
	sep(o);
	fputs("null", o->f);
}

/* ---- the parser ------------------------------------------------------- */

struct tl_json_parser {
	const char *s, *p, *end;
	msgpack_zone zone;     /* every object of the current parse */
	msgpack_object *stack; /* elements of the arrays and maps being built */
	size_t n, cap;
	int depth;
	struct tl_err *err;
};

static int
perr(struct tl_json_parser *ps, const char *what)
{
	return tl_err_set(ps->err, "malformed JSON at byte %ld: %s", (long)(ps->p - ps->s), what);
}

static void
skip_ws(struct tl_json_parser *ps)
{
	while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r'))
		ps->p++;
}

static int
push(struct tl_json_parser *ps, const msgpack_object *o)
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
zalloc(struct tl_json_parser *ps, size_t len)
{
	void *p = msgpack_zone_malloc(&ps->zone, len ? len : 1);

	if (p == NULL)
		tl_err_set(ps->err, "out of memory");
	return p;
}

static int
hex4(const char *p, uint32_t *out)
{
	int i, h;

	*out = 0;
	for (i = 0; i < 4; i++) {
		if ((h = g_ascii_xdigit_value(p[i])) < 0)
			return -1;
		*out = *out << 4 | (uint32_t)h;
	}
	return 0;
}

/* At the opening quote.  The decoded text is never longer than the raw one
 * (every escape shrinks), so one allocation of the raw length suffices. */
static int
parse_string(struct tl_json_parser *ps, msgpack_object *o)
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
			d += g_unichar_to_utf8(c, d);
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
parse_number(struct tl_json_parser *ps, msgpack_object *o)
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
parse_literal(struct tl_json_parser *ps, const char *word)
{
	size_t n = strlen(word);

	if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, word, n) != 0)
		return perr(ps, "unexpected character");
	ps->p += n;
	return 0;
}

static int parse_value(struct tl_json_parser *ps, msgpack_object *o);

/* At '[' or '{': elements go on the stack, then into one zone array. */
static int
parse_container(struct tl_json_parser *ps, msgpack_object *o)
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
parse_value(struct tl_json_parser *ps, msgpack_object *o)
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

static int
parse_top(struct tl_json_parser *ps, const char *s, size_t len, msgpack_object *o)
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

struct tl_json_parser *
tl_json_parser_new(void)
{
	struct tl_json_parser *ps = calloc(1, sizeof *ps);

	if (ps == NULL || !msgpack_zone_init(&ps->zone, 64 * 1024)) {
		free(ps);
		return NULL;
	}
	return ps;
}

void
tl_json_parser_free(struct tl_json_parser *ps)
{
	if (ps == NULL)
		return;
	msgpack_zone_destroy(&ps->zone);
	free(ps->stack);
	free(ps);
}

int
tl_json_parse_object(struct tl_json_parser *ps, const char *s, size_t len, msgpack_object *o,
                     struct tl_err *err)
{
	ps->err = err;
	return parse_top(ps, s, len, o);
}

void *
tl_json_parser_alloc(struct tl_json_parser *ps, size_t n, struct tl_err *err)
{
	ps->err = err;
	return zalloc(ps, n);
}
