/*
 * opt.c - option values as numbers (opt.h).
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>

#include "cli/cli.h"

long long
tl_opt_int(const char *usage, const char *opt, const char *arg, long long min,
           long long max)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(arg, &end, 10);
	if (end == arg || *end != '\0' || errno == ERANGE)
		tl_cli_usage_error(usage, "%s: '%s' is not a whole number", opt, arg);
	if (v < min || v > max)
		tl_cli_usage_error(usage, "%s: %lld is out of range [%lld, %lld]", opt, v, min, max);
	return v;
}

double
tl_opt_double(const char *usage, const char *opt, const char *arg, double min,
              double max)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(arg, &end);
	if (end == arg || *end != '\0' || errno == ERANGE || !isfinite(v))
		tl_cli_usage_error(usage, "%s: '%s' is not a number", opt, arg);
	if (v < min || v > max)
		tl_cli_usage_error(usage, "%s: %g is out of range [%g, %g]", opt, v, min, max);
	return v;
}
