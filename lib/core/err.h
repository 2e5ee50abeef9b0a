/*
 * err.h - how lib/ reports failure.  lib/ never prints and never exits: a
 * function that can fail returns -1 (or NULL) and fills a struct tl_err the
 * caller passed in; only cmd/ prints, in the one format
 * "tl-tool: subject: reason".  err may be NULL when the caller does not care.
 */
#ifndef TL_ERR_H
#define TL_ERR_H

#include <stddef.h>

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
