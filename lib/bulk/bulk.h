/*
 * bulk.h - the state of bulk identification (tl-bulk(1)): one SQLite
 * database per collection holding the done set (files by path, size and
 * mtime, with the sha256 of what was read), every verdict (one per sha256),
 * the runs and the chunks committed (the transaction log), and the labels
 * people gave on review.  The schema is TL_BULK_SCHEMA, kept in PRAGMA
 * user_version and documented, table by table, in tl-bulk(1).
 *
 * A chunk is one transaction (tl_bulk_begin ... tl_bulk_commit): the files
 * it read and the verdicts of its new images go in together, so a run
 * killed at any point leaves either the whole chunk or none of it, and
 * every image is classified exactly once.  The journal is WAL, so readers
 * (sqlite3, tl-report --usage) read while a run writes; writers wait up to
 * TL_BULK_BUSY_MS for each other.
 *
 * Memory: SQLite's page cache (its default, about 2 MB) and one prepared
 * statement per query: nothing grows with the collection.
 *
 * Ownership: tl_bulk_open's handle is the caller's (tl_bulk_close); the
 * strings a row hands out are the handle's, valid until the next call.
 *
 * Not here: walking the incoming folder, classifying, copying images for
 * review, the lock between runs (cmd/tl-bulk.c).
 */
#ifndef TL_BULK_H
#define TL_BULK_H

#include "core/err.h"

#define TL_BULK_SCHEMA 1    /* PRAGMA user_version of the databases made here */
#define TL_BULK_BUSY_MS 10000
#define TL_BULK_DB "bulk.db" /* the database's name in a state directory */

struct tl_bulk;

/* Opens the database at path: created with the schema when it does not
 * exist (readonly == 0).  NULL with err: not a database (corrupted, or
 * another program's), a schema newer than TL_BULK_SCHEMA, an I/O or
 * permission failure. */
struct tl_bulk *tl_bulk_open(const char *path, int readonly, struct tl_err *err);
void tl_bulk_close(struct tl_bulk *b); /* accepts NULL */

/* A run's row in "runs": started now, on incoming; its id into *run.
 * 0, or -1 (err). */
int tl_bulk_run_start(struct tl_bulk *b, const char *incoming, long long *run,
                      struct tl_err *err);

/* What a run did, for its "runs" row (tl_bulk_run_end). */
struct tl_bulk_counts {
	long long listed, read, classified, unknown, bad;
};
int tl_bulk_run_end(struct tl_bulk *b, long long run, const char *model,
                    const char *model_sha256, const struct tl_bulk_counts *n, int status,
                    struct tl_err *err);

/* Is the file src known with this size and mtime (ns)?  1 yes (done, or
 * recorded as a bad image), 0 no, -1 error (err). */
int tl_bulk_known(struct tl_bulk *b, const char *src, long long size, long long mtime,
                  struct tl_err *err);

/* Has the content sha256 (64 hex digits) a verdict?  1, 0, -1 (err). */
int tl_bulk_has(struct tl_bulk *b, const char *sha256, struct tl_err *err);

/* One transaction per chunk: BEGIN IMMEDIATE .. COMMIT; tl_bulk_rollback
 * undoes an open one (and is harmless without one). */
int tl_bulk_begin(struct tl_bulk *b, struct tl_err *err);
int tl_bulk_commit(struct tl_bulk *b, struct tl_err *err);
void tl_bulk_rollback(struct tl_bulk *b);

/* In a transaction: the file src read (its size, mtime, sha256; error the
 * reason its image is bad, or NULL) into "files", replacing its row. */
int tl_bulk_put_file(struct tl_bulk *b, long long run, const char *src, long long size,
                     long long mtime, const char *sha256, const char *error,
                     struct tl_err *err);

/* One verdict (a row of "verdicts"). */
struct tl_bulk_verdict {
	const char *sha256, *id, *src, *model, *model_sha256, *pred;
	double conf, ood;   /* NaN: none (NULL) */
	const char *reject; /* "conf", "ood", or NULL */
};
int tl_bulk_put_verdict(struct tl_bulk *b, long long run, const struct tl_bulk_verdict *v,
                        struct tl_err *err);

/* The chunk's line in the transaction log ("chunks"), and the run's
 * counts so far: in the chunk's transaction, last. */
int tl_bulk_put_chunk(struct tl_bulk *b, long long run, int chunk, long long files,
                      long long verdicts, struct tl_err *err);

/* A person's label for the content sha256, from the sorted file src, into
 * "reviews" (replacing an earlier one).  1 when a verdict has that sha256,
 * 0 when none has (the label is kept all the same), -1 (err). */
int tl_bulk_put_review(struct tl_bulk *b, const char *sha256, const char *label,
                       const char *src, struct tl_err *err);

/* The verdicts a review wants (tl-bulk --review): pred (NULL: any), conf in
 * [min_conf, max_conf] (NaN: no bound), reject (NULL: any; "" none), the
 * lowest (> 0: only the that many lowest conf).  Rows come by conf, lowest
 * first.  tl_bulk_query starts, tl_bulk_next steps: 1 a row in *v (strings
 * owned by b, valid until the next call), 0 done, -1 (err). */
struct tl_bulk_select {
	const char *pred, *reject;
	double min_conf, max_conf;
	long long lowest;
};
int tl_bulk_query(struct tl_bulk *b, const struct tl_bulk_select *s, struct tl_err *err);
int tl_bulk_next(struct tl_bulk *b, struct tl_bulk_verdict *v, struct tl_err *err);

/* Every verdict as the JSON line the shell script's log.jsonl held
 * ({"time","id","sha256","model","model_sha256","pred","conf","ood",
 * "reject"}), oldest first, one per tl_bulk_line call after
 * tl_bulk_lines: 1 a line in *s (owned by b), 0 done, -1 (err). */
int tl_bulk_lines(struct tl_bulk *b, struct tl_err *err);
int tl_bulk_line(struct tl_bulk *b, const char **s, struct tl_err *err);

/* Accuracy from the reviews, per model version and day of the verdict, in
 * that order: tl_bulk_accuracy starts, tl_bulk_accuracy_next steps (1, 0,
 * -1 as tl_bulk_next).  reviewed: verdicts with a review; accepted: of
 * them, not "unknown"; correct: of those, pred equal to the label. */
struct tl_bulk_acc {
	const char *model, *day;
	long long reviewed, accepted, correct;
};
int tl_bulk_accuracy(struct tl_bulk *b, struct tl_err *err);
int tl_bulk_accuracy_next(struct tl_bulk *b, struct tl_bulk_acc *a, struct tl_err *err);

/* Adds every file, verdict and review of the database at path (a shard's)
 * into b, each sha256's verdict once (the one b has, else the shard's),
 * each file's row the most recent; its runs are copied under new ids.
 * Counts into *verdicts and *files (new rows).  0, or -1 (err); nothing
 * is added on failure. */
int tl_bulk_merge(struct tl_bulk *b, const char *path, long long *verdicts, long long *files,
                  struct tl_err *err);

/* Imports the verdicts of the log.jsonl that the earlier, shell-script
 * tl-bulk kept (one JSON object a line: time, id, sha256, model,
 * model_sha256, pred, conf, ood, reject) as verdicts whose src is
 * prefix/id, once: the import is a row of "runs" with incoming "import
 * PATH", and a log already imported is passed over (*n = -1).  So an
 * upgraded state directory reads each image once more, to hash it, but
 * classifies none again.  A line without sha256 or pred is skipped.
 * *n: the verdicts added.  0, or -1 (err: nothing added). */
int tl_bulk_import_log(struct tl_bulk *b, const char *path, const char *prefix, long long *n,
                       struct tl_err *err);

/* Is the file at path an SQLite database (by its first 16 bytes)? */
int tl_bulk_is_db(const char *path);

#endif
