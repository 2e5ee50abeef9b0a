/*
 * json.h - JSON text itself: numbers, strings and base64 written to a FILE,
 * a writer that places the commas of nested objects and lists, and a
 * parser from one JSON object's text to msgpack objects.  What a record
 * looks like as JSON is recjson.h; reading JSON Lines files is jsonl.h.
 *
 * Numbers print in the C locale as the shortest text that reads back to the
 * same value among 15, 16 and 17 significant digits for a double (6 to 9
 * for a float): 0.1 prints 0.1, but 5e-324 prints 4.94065645841247e-324.
 * There is always a '.' or an exponent so a JSON reader sees a float; NaN
 * and infinities, which JSON lacks, print as null.  Strings are escaped (", \,
 * control characters) and invalid UTF-8 becomes U+FFFD.
 *
 * Writers print straight to the caller's FILE and never allocate beyond a
 * fixed buffer; write errors show in ferror(f).  Not here: pretty-printing
 * (jq does it), comments or other JSON extensions.
 */
#ifndef TL_JSON_H
#define TL_JSON_H

#include <stdio.h>

#include <msgpack.h>

#include "core/err.h"

/* ---- numbers, strings, bytes ------------------------------------------- */

#define TL_JSON_NUMLEN 32 /* bytes of a buffer for tl_json_fmt_* */

/* The shortest of %.15g, %.16g and %.17g that reads back (strtod) as v,
 * with ".0" added when it has neither '.' nor exponent: 0.1, 1e-07, 100.0,
 * -0.0.  v must be finite. */
void tl_json_fmt_double(char buf[TL_JSON_NUMLEN], double v);
/* The same for a float (strtof) from %.6g to %.9g: 0.1f prints 0.1. */
void tl_json_fmt_float(char buf[TL_JSON_NUMLEN], float v);

/* v as tl_json_fmt_double, or null when not finite. */
void tl_json_double(FILE *f, double v);
/* v as tl_json_fmt_float, or null when not finite. */
void tl_json_float(FILE *f, float v);

/* s[0..len) as the inside of a JSON string (no quotes). */
void tl_json_write_strn(FILE *f, const char *s, size_t len);
/* s[0..len) as a JSON string, quotes included. */
void tl_json_strn(FILE *f, const char *s, size_t len);
/* The NUL-terminated s as a JSON string, quotes included; NULL prints "". */
void tl_json_str(FILE *f, const char *s);

/* p[0..n) as a JSON string of standard base64 with "=" padding (GLib's
 * g_base64_encode_step), quotes included. */
void tl_json_base64(FILE *f, const void *p, size_t n);

/* ---- a writer of nested values ------------------------------------------ */

#define TL_JSON_OUT_DEPTH 16

/*
 * Keeps the commas: every value and key written through it is preceded by
 * ',' when it is not the first in its object or list.  Nesting deeper than
 * TL_JSON_OUT_DEPTH is a programmer error (assert).  Holds nothing to free.
 */
struct tl_json_out {
	FILE *f;
	int depth;
	int key;                              /* a key was written, its value is next */
	char close[TL_JSON_OUT_DEPTH];        /* '}' or ']' of each open container */
	unsigned char more[TL_JSON_OUT_DEPTH]; /* it has an element already */
};

void tl_json_out_init(struct tl_json_out *o, FILE *f);
void tl_json_begin_obj(struct tl_json_out *o);  /* { */
void tl_json_begin_list(struct tl_json_out *o); /* [ */
void tl_json_end(struct tl_json_out *o);        /* } or ], as opened */
void tl_json_key(struct tl_json_out *o, const char *k); /* "k": */
void tl_json_put_double(struct tl_json_out *o, double v); /* tl_json_double */
void tl_json_put_int(struct tl_json_out *o, long long v);
void tl_json_put_uint(struct tl_json_out *o, unsigned long long v);
void tl_json_put_str(struct tl_json_out *o, const char *s); /* tl_json_str */
void tl_json_put_null(struct tl_json_out *o);

/* ---- the parser ----------------------------------------------------------- */

/*
 * A recursive-descent parser that builds msgpack objects in a scratch zone,
 * cleared at each parse.  Hand-written rather than jansson because a stream
 * holds 64-bit unsigned integers (phash) that jansson's json_int_t cannot
 * carry, and building msgpack directly skips a second tree.  Integers that
 * fit 64 bits (either sign) become msgpack integers, other numbers float64;
 * \u escapes become UTF-8 (a lone surrogate U+FFFD); nesting is capped at
 * TL_MAX_DEPTH (stream.h).
 */
struct tl_json_parser;

/* NULL when out of memory.  Free with tl_json_parser_free (accepts NULL). */
struct tl_json_parser *tl_json_parser_new(void);
void tl_json_parser_free(struct tl_json_parser *ps);

/* Parses s[0..len), which must be one JSON object (white space around it
 * allowed), into *o.  o's memory belongs to ps until its next parse.  -1
 * with err: "not a JSON object", "malformed JSON at byte N: why", "out of
 * memory". */
int tl_json_parse_object(struct tl_json_parser *ps, const char *s, size_t len,
                         msgpack_object *o, struct tl_err *err);

/* n bytes in ps's zone, freed by ps's next parse; NULL with err "out of
 * memory".  For rewriting what tl_json_parse_object returned. */
void *tl_json_parser_alloc(struct tl_json_parser *ps, size_t n, struct tl_err *err);

#endif
