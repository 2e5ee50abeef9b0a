/*
 * jsonl.h - a reader of JSON Lines files into records: what tl-cat
 * --from-json reads, from tl-cat or from jq.  Each line is one object in
 * the JSON form of recjson.h.
 *
 * paths[0..n) are read one after the other ("-" or n == 0: stdin).  An
 * object with key "tl" is a header, or with "end" too a trailer: headers
 * are merged into the reader's header (tl_header_merge; a conflict breaks
 * the input), trailers are skipped (their counts no longer hold once jq has
 * filtered).  Blank lines are skipped.  Memory: one line and one record.
 */
#ifndef TL_JSONL_H
#define TL_JSONL_H

#include "core/err.h"
#include "core/rec.h"

struct tl_jsonl_reader;

/* NULL with err set when a file cannot be opened.  Free with _close. */
struct tl_jsonl_reader *tl_jsonl_reader_open(char *const *paths, int n, struct tl_err *err);

/* The next data record into rec; a data record must hold a string "id".
 * Returns 1: a record; 0: end of all input; or an enum tl_status (err.h):
 * TL_SKIP: this line is bad (err says why, tl_jsonl_reader_where where),
 * the next call goes on; TL_STOP: the input is broken (unreadable, header
 * refused or in conflict; err names file and line); TL_NOMEM: out of
 * memory. */
int tl_jsonl_reader_next(struct tl_jsonl_reader *jr, struct tl_rec *rec, struct tl_err *err);

/* "file:line" of the line read last, for messages.  Owned by jr, valid until
 * the next call. */
const char *tl_jsonl_reader_where(struct tl_jsonl_reader *jr);

/* The header lines read so far merged in one record (the first as it was,
 * with keys of later ones added), or NULL when none has been read.  Owned
 * by jr. */
const struct tl_rec *tl_jsonl_reader_header(const struct tl_jsonl_reader *jr);

void tl_jsonl_reader_close(struct tl_jsonl_reader *jr); /* accepts NULL */

#endif
