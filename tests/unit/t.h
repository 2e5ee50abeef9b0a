/*
 * t.h - the unit-test harness: each check prints one line, "PASS name" or
 * "FAIL name: why (file:line)", which tests/run counts.  A test binary exits 1
 * if anything failed, so a crash or a failure can never read as a pass.
 * Deliberately tiny: no fixtures, no registration; main() calls the tests.
 */
#ifndef TL_T_H
#define TL_T_H
#include <math.h>
#include <stdio.h>
#include <string.h>

static int t_failed;

#define T_OK(name, cond) do { \
	if (cond) printf("PASS %s\n", (name)); \
	else { printf("FAIL %s: %s (%s:%d)\n", (name), #cond, __FILE__, __LINE__); t_failed = 1; } \
	fflush(stdout); } while (0)

#define T_EQ_INT(name, got, want) do { long long g_ = (long long)(got), w_ = (long long)(want); \
	if (g_ == w_) printf("PASS %s\n", (name)); \
	else { printf("FAIL %s: got %lld want %lld (%s:%d)\n", (name), g_, w_, __FILE__, __LINE__); t_failed = 1; } \
	fflush(stdout); } while (0)

#define T_EQ_STR(name, got, want) do { const char *g_ = (got), *w_ = (want); \
	if (g_ && w_ && strcmp(g_, w_) == 0) printf("PASS %s\n", (name)); \
	else { printf("FAIL %s: got \"%s\" want \"%s\" (%s:%d)\n", (name), g_ ? g_ : "(null)", w_ ? w_ : "(null)", __FILE__, __LINE__); t_failed = 1; } \
	fflush(stdout); } while (0)

/* |got - want| <= atol + rtol * |want| */
#define T_NEAR(name, got, want, atol, rtol) do { double g_ = (got), w_ = (want); \
	if (fabs(g_ - w_) <= (atol) + (rtol) * fabs(w_)) printf("PASS %s\n", (name)); \
	else { printf("FAIL %s: got %.9g want %.9g (%s:%d)\n", (name), g_, w_, __FILE__, __LINE__); t_failed = 1; } \
	fflush(stdout); } while (0)

#define T_DONE() return t_failed
#endif
