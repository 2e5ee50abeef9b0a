/*
 * err.h - how lib/ reports failure.  lib/ never prints and never exits: a
 * function that can fail returns -1 (or NULL) and fills a struct tl_err the
 * caller passed in; only cmd/ prints, in the one format
 * "tl-tool: subject: reason".  err may be NULL when the caller does not care.
 * A struct tl_err is the caller's (no allocation: the message is inside).
 */
#ifndef TL_ERR_H
#define TL_ERR_H

#include <stddef.h>

/*
 * What a function that handles one item of many (a record, a line, a file)
 * returns, so that every read-all loop in lib/ and cmd/ reads the same way:
 * TL_SKIP counts the item as bad (the --max-bad budget of cli.h) and goes
 * on; TL_STOP and TL_NOMEM end the run (err says why; out of memory is its
 * own value so no caller has to recognise it from the message).  A function
 * that only succeeds or fails returns 0 or -1 as above: -1 is TL_SKIP's
 * value only where the function's header says it handles one item.
 */
enum tl_status {
	TL_OK = 0,
	TL_SKIP = -1,	/* this item is bad; the next one may be read */
	TL_STOP = -2,	/* the run cannot go on: I/O failed, set-up failed */
	TL_NOMEM = -3,	/* out of memory: the run cannot go on */
};

struct tl_err {
	char msg[1024];
};

/* Fills err->msg (printf-style); always returns -1 so a caller can write
 * `return tl_err_set(err, "...")`.  err may be NULL. */
int tl_err_set(struct tl_err *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Prepends "prefix: " to the message already in err (adds context on the
 * way up, e.g. the file name).  Returns -1. */
int tl_err_prefix(struct tl_err *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
