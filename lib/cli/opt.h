/*
 * opt.h - option values as numbers: a whole value in range, or a usage
 * error naming the option (exit 2).
 * Prints and exits (cli/, for cmd/ only); nothing here allocates.
 */
#ifndef TL_CLI_OPT_H
#define TL_CLI_OPT_H

/* Option numbers: whole value or usage error naming the option. */
long long tl_opt_int(const char *usage, const char *opt, const char *arg,
                     long long min, long long max);
double tl_opt_double(const char *usage, const char *opt, const char *arg,
                     double min, double max);

#endif
