/*
 * json.h - records as JSON text, and JSON Lines back into records: the
 * window tl-cat opens on a stream, and the way back in from jq.
 *
 * The JSON form of a record (tl-cat(1) documents it for users):
 * - strings, booleans, nil and integers map to their JSON kin (integers are
 *   printed exactly, all 64 bits);
 * - floats print as the shortest text that reads back to the same value
 *   (at most 9 significant digits for float32, 17 for float64) in the C
 *   locale, always with a '.' or an exponent so they read back as floats;
 *   NaN and infinities, which JSON lacks, print as null;
 * - strings and keys are escaped; invalid UTF-8 becomes U+FFFD;
 * - a tensor map (tensor.h) prints its keys with "data" replaced by "min",
 *   "max", "mean" (over finite values) or, with TL_JSON_FULL, by the values
 *   as one flat list in C order ("data": [...]);
 * - bin prints as {"bin": length} or, with TL_JSON_FULL, {"base64": "..."};
 * - in a data record (TL_JSON_DATA), a top-level "sha256" holding 32 bytes
 *   prints as 64 lowercase hex digits, and "phash" as 16: as numbers, these
 *   64-bit hashes would lose bits in jq 1.6 and JavaScript (doubles);
 * - ext values print as {"ext": type, "bin": length}.
 *
 * Reading inverts the TL_JSON_FULL form: {"base64": s} becomes bin, a map
 * with "dtype", "shape" and a "data" list becomes a tensor, a data record's
 * hex "sha256" and "phash" become bin(32) and uint again, null inside a
 * float tensor becomes NaN, and any JSON float becomes float64.  Summaries ({"bin": n}, a tensor with "min"
 * and no "data") cannot be read back: the line is refused.  So a stream whose
 * scalar floats are float64 survives `tl-cat --full --headers | tl-cat
 * --from-json` byte for byte.
 *
 * Not here: choosing records or fields (select.h), stream framing (stream.h).
 */
#ifndef TL_JSON_H
#define TL_JSON_H

#include <stdio.h>

#include <msgpack.h>

#include "core/err.h"
#include "core/rec.h"

enum {
	TL_JSON_FULL = 1, /* tensor values and bin bytes instead of summaries */
	TL_JSON_DATA = 2, /* a data record: sha256 and phash as hex */
};

/* Writes r as one JSON object and a newline to f.  Returns 0, or -1 when f
 * reports a write error (errno tells which; err says so). */
int tl_json_write_rec(FILE *f, const struct tl_rec *r, int flags, struct tl_err *err);

/* Writes one value as JSON (no newline); write errors show in ferror(f). */
void tl_json_write_obj(FILE *f, const msgpack_object *o, int flags);

/* Writes the value v of a record's field key as JSON: tl_json_write_obj,
 * but with TL_JSON_DATA the hex fields (tl_json_hex_field) as strings. */
void tl_json_write_field(FILE *f, const char *key, const msgpack_object *v, int flags);

/* The fields shown as hex: when key is "sha256" and v holds 32 bytes, or key
 * is "phash" and v an unsigned integer, writes the hex digits (64 or 16,
 * lowercase) into hex and returns 1; else 0. */
int tl_json_hex_field(const char *key, const msgpack_object *v, char hex[65]);

/* Writes s[0..len) as the inside of a JSON string (no quotes). */
void tl_json_write_strn(FILE *f, const char *s, size_t len);

/* Parses one JSON object text s[0..len) into rec (cleared first), applying
 * the conversions above (data: also the hex fields).  -1 with a reason when
 * the text is not one valid JSON object or a conversion fails. */
int tl_json_parse_rec(const char *s, size_t len, struct tl_rec *rec, int data,
                      struct tl_err *err);

/*
 * A reader of JSON Lines: paths[0..n) one after the other ("-" or n == 0:
 * stdin).  An object with key "tl" is a header, or with "end" too a trailer:
 * headers are merged into the reader's header (tl_header_merge; a conflict
 * breaks the input), trailers are skipped (their counts no longer hold once
 * jq has filtered).  Blank lines are skipped.  Memory: one line and one
 * record.
 */
struct tl_json_reader;

/* NULL with err set when a file cannot be opened.  Free with _close. */
struct tl_json_reader *tl_json_reader_open(char *const *paths, int n, struct tl_err *err);

/* The next data record into rec; a data record must hold a string "id".
 * 1: a record; 0: end of all input; -1: the input is broken (unreadable,
 * header refused or in conflict; err names file and line), stop; -2: this
 * line is bad (err says why, tl_json_reader_where where), the next call
 * goes on. */
int tl_json_reader_next(struct tl_json_reader *jr, struct tl_rec *rec, struct tl_err *err);

/* "file:line" of the line read last, for messages.  Owned by jr, valid until
 * the next call. */
const char *tl_json_reader_where(struct tl_json_reader *jr);

/* The header lines read so far merged in one record (the first as it was,
 * with keys of later ones added), or NULL when none has been read.  Owned
 * by jr. */
const struct tl_rec *tl_json_reader_header(const struct tl_json_reader *jr);

void tl_json_reader_close(struct tl_json_reader *jr); /* accepts NULL */

#endif
