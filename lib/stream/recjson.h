/*
 * recjson.h - records as JSON and back: what tl-cat prints, and what
 * tl-cat --from-json reads from jq.  The JSON syntax itself (numbers,
 * strings, the parser) is json.h; files of JSON Lines are jsonl.h.
 *
 * The JSON form of a record (tl-cat(1) documents it for users):
 * - strings, booleans, nil and integers map to their JSON kin (integers are
 *   printed exactly, all 64 bits);
 * - floats print as the shortest text that reads back to the same value
 *   (json.h: at most 9 significant digits for float32, 17 for float64),
 *   always with a '.' or an exponent so they read back as floats; NaN and
 *   infinities, which JSON lacks, print as null;
 * - strings and keys are escaped; invalid UTF-8 becomes U+FFFD;
 * - a tensor map (tensor.h) prints its keys with "data" replaced by "min",
 *   "max", "mean" (over finite values) or, with TL_RECJSON_FULL, by the
 *   values as one flat list in C order ("data": [...]);
 * - bin prints as {"bin": length} or, with TL_RECJSON_FULL, {"base64": "..."};
 * - in a data record (TL_RECJSON_DATA), a top-level "sha256" holding 32
 *   bytes prints as 64 lowercase hex digits, and "phash" as 16: as numbers,
 *   these 64-bit hashes would lose bits in jq 1.6 and JavaScript (doubles);
 * - ext values print as {"ext": type, "bin": length}.
 *
 * Reading inverts the TL_RECJSON_FULL form: {"base64": s} becomes bin, a
 * map with "dtype", "shape" and a "data" list becomes a tensor, a data
 * record's hex "sha256" and "phash" become bin(32) and uint again, null
 * inside a float tensor becomes NaN, and any JSON float becomes float64.
 * Summaries ({"bin": n}, a tensor with "min" and no "data") cannot be read
 * back: the line is refused.  So a stream whose scalar floats are float64
 * survives `tl-cat --full --headers | tl-cat --from-json` byte for byte.
 *
 * Writers print to the caller's FILE; parsed records are copied into the
 * caller's rec.  Not here: choosing records or fields (select.h), stream
 * framing (stream.h).
 */
#ifndef TL_RECJSON_H
#define TL_RECJSON_H

#include <stdio.h>

#include <msgpack.h>

#include "core/err.h"
#include "core/rec.h"
#include "stream/json.h"

enum {
	TL_RECJSON_FULL = 1, /* tensor values and bin bytes instead of summaries */
	TL_RECJSON_DATA = 2, /* a data record: sha256 and phash as hex */
};

/* Writes r as one JSON object and a newline to f.  Returns 0, or -1 when f
 * reports a write error (errno tells which; err says so). */
int tl_recjson_write(FILE *f, const struct tl_rec *r, int flags, struct tl_err *err);

/* Writes one value as JSON (no newline); write errors show in ferror(f). */
void tl_recjson_write_obj(FILE *f, const msgpack_object *o, int flags);

/* Writes the value v of a record's field key as JSON: tl_recjson_write_obj,
 * but with TL_RECJSON_DATA the hex fields (tl_recjson_hex_field) as strings. */
void tl_recjson_write_field(FILE *f, const char *key, const msgpack_object *v, int flags);

/* The fields shown as hex: when key is "sha256" and v holds 32 bytes, or key
 * is "phash" and v an unsigned integer, writes the hex digits (64 or 16,
 * lowercase) into hex and returns 1; else 0. */
int tl_recjson_hex_field(const char *key, const msgpack_object *v, char hex[65]);

/* Parses one JSON object text s[0..len) into rec (cleared first), applying
 * the conversions above (data: also the hex fields).  -1 with a reason when
 * the text is not one valid JSON object or a conversion fails. */
int tl_recjson_parse(const char *s, size_t len, struct tl_rec *rec, int data,
                     struct tl_err *err);

/* The conversions of tl_recjson_parse on an object that ps has just parsed
 * (tl_json_parse_object), rewritten in place in ps's zone and then copied
 * into rec.  -1 with err naming the field, or "duplicate key". */
int tl_recjson_from_obj(struct tl_json_parser *ps, msgpack_object *o, struct tl_rec *rec,
                        int data, struct tl_err *err);

#endif
