/*
 * select.h - choosing records and fields: the filters of tl-cat (split,
 * label, pred, confidence range), field lists (--fields, --strip), a record's
 * fields as one TSV line, and a tally of a field's values (--count).
 *
 * The filters and field lists hold one record at a time; a tally grows with
 * the number of distinct values it has seen (a handful for labels and splits,
 * one per record for ids).  Not here: how values look as JSON (recjson.h).
 *
 * Ownership: a struct tl_select points at the caller's strings; a field list
 * and a tally are the caller's, freed with tl_fields_free and tl_tally_free.
 */
#ifndef TL_SELECT_H
#define TL_SELECT_H

#include <stdio.h>

#include <msgpack.h>

#include "core/err.h"
#include "core/rec.h"

/* Which records to keep.  NULL strings and NaN bounds mean "any". */
struct tl_select {
	const char *split, *label, *pred; /* exact string match (not owned) */
	double min_conf, max_conf;        /* inclusive; a record without a
	                                     numeric "conf" fails either bound */
};

void tl_select_init(struct tl_select *s); /* everything passes */
int tl_select_match(const struct tl_select *s, const struct tl_rec *r); /* 1 keep, 0 drop */

/* Makes header h's expected counts (stream.h) those of the records s keeps
 * of the first head (-1: all): "split" train alone keeps "expect_train" of
 * them; any other filter leaves both unknown (removed); head caps "expect",
 * and keeps "expect_train" only where every record was train.  Without a
 * filter nor head, h is left as it is.  0, or -1 when out of memory. */
int tl_select_header(const struct tl_select *s, long long head, struct tl_rec *h);

/* A comma-separated list of field names, e.g. "id,label,conf". */
struct tl_fields {
	char *buf;         /* the names, NUL-separated (owned) */
	const char **name; /* name[0..n) point into buf (owned array) */
	int n;
};

/* Parses list into f.  -1 (err says why) when the list or a name is empty.
 * Free with tl_fields_free, which accepts a zeroed struct. */
int tl_fields_parse(struct tl_fields *f, const char *list, struct tl_err *err);
void tl_fields_free(struct tl_fields *f);

/* Removes the listed fields from r. */
void tl_fields_strip(const struct tl_fields *f, struct tl_rec *r);

/* Writes one TSV line: the listed fields of r, tab-separated, then '\n'.
 * A cell is a string's text with \\, \t, \n, \r escaped as two characters;
 * sha256 and phash as hex; empty for a missing field; anything else its
 * compact JSON text (recjson.h).  Write errors show in ferror(out). */
void tl_fields_write_tsv(FILE *out, const struct tl_fields *f, const struct tl_rec *r);

/* A tally of the distinct values of one field, as their TSV cell text. */
struct tl_tally;

struct tl_tally *tl_tally_new(const char *field); /* NULL: out of memory */
/* Counts r's value of the field (missing counts as the empty text); handles
 * one record of many (err.h): TL_OK, or TL_NOMEM with err set. */
int tl_tally_add(struct tl_tally *t, const struct tl_rec *r, struct tl_err *err);
/* Writes "value\tcount\n" lines sorted by value (bytewise); -1 when out of
 * memory.  Write errors show in ferror(out). */
int tl_tally_write(const struct tl_tally *t, FILE *out, struct tl_err *err);
void tl_tally_free(struct tl_tally *t); /* accepts NULL */

#endif
