/*
 * progress.h - one named progress line on stderr ("\rtl-embed: 120/398 (30%)
 * 45.1 images/s"), only when stderr is a terminal.
 * Prints and exits (cli/, for cmd/ only); nothing here allocates.
 */
#ifndef TL_CLI_PROGRESS_H
#define TL_CLI_PROGRESS_H

/* A progress line on stderr, only when stderr is a terminal. */
struct tl_progress {
	int on;
	double t0, last;
	long long done, total; /* total 0 when unknown */
};
void tl_progress_init(struct tl_progress *p, long long total);
void tl_progress_step(struct tl_progress *p, long long n);
void tl_progress_end(struct tl_progress *p);

#endif
