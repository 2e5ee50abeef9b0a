/*
 * progress.h - a named progress line on stderr, only when stderr is a
 * terminal: "tl-embed: 120/398 (30%) 45.1 images/s, 0:06 left" when the
 * total is known, "tl-embed: 120 images, 45.1 images/s" when it is not.
 * Prints and exits (cli/, for cmd/ only); nothing here allocates.
 *
 * Why whole lines, not a line rewritten with "\r": the tools of one pipeline
 * share a terminal, and two tools rewriting "the" line overwrite each other
 * ("tl-augment: 12 imtl-embed: 96/398 ..."). Finding out whether another tool
 * writes progress too (a lock file, the terminal's process group) is fragile
 * for little gain. So each tool writes a whole line, newline-terminated, with
 * one write(2) (a terminal does not split a short write), at most every
 * TL_PROGRESS_EVERY seconds, and one closing line when it printed any: lines
 * of two tools interleave but never mix, and each starts with its tool's name.
 *
 * The environment (for tests and scripts, tl(7)): TL_PROGRESS=1 prints progress
 * whatever stderr is, TL_PROGRESS=0 never; TL_PROGRESS_CLOCK=S replaces the
 * clock by one that reads 0, S, 2S, ... seconds on successive readings, so
 * the lines are the same on every run.
 */
#ifndef TL_CLI_PROGRESS_H
#define TL_CLI_PROGRESS_H

#include <stddef.h>

#define TL_PROGRESS_EVERY 5.0 /* seconds between lines */

struct tl_progress {
	int on, printed;
	const char *unit; /* singular: "image"; "s" makes the plural */
	const char *what; /* NULL, or said before the count: "fine-tune epoch" */
	double t0, last;
	long long done, total; /* total 0 when unknown */
	long long shown;       /* done at the last line */
	int estimate;          /* total is what a header expects, not a count */
	int closed;            /* the last line said "done in" */
};
/* Progress counted in images. */
void tl_progress_init(struct tl_progress *p, long long total);
/* Progress counted in unit (a static string, singular). */
void tl_progress_init_unit(struct tl_progress *p, long long total, const char *unit);
/* Progress counted in images toward expect, a stream header's estimate of
 * its records (stream.h's tl_header_expect; -1 or 0: unknown).  An estimate
 * may be wrong either way: the lines say "N/TOTAL ... left" while done is
 * below it, only the count and rate once done reaches it (the stream may go
 * on), and the closing line, always printed when any was, the count there
 * was: "N/N (100%) ..., done in m:ss". */
void tl_progress_init_expect(struct tl_progress *p, long long expect);
void tl_progress_step(struct tl_progress *p, long long n);
/* The closing line ("tl-embed: 398/398 (100%) 46.3 images/s, done in 0:08"),
 * when a line was printed and the last one did not say as much. */
void tl_progress_end(struct tl_progress *p);

/* Writes the line after "tl-embed: " (no newline) for done of total (0:
 * unknown) units after elapsed seconds into buf; pure.  The rate is "45.1 images/s", or "12.5
 * s/epoch" below one a second; time left is "m:ss", or "h:mm:ss" from an
 * hour on; no rate nor time left with nothing done; "done in m:ss" once done
 * reaches a known total.  Returns snprintf's count. */
int tl_progress_format(char *buf, size_t size, const char *unit, long long done,
                       long long total, double elapsed);

#endif
