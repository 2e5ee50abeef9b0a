/*
 * test_usage.c - lib/report/usage on a small transaction log whose counts
 * are known: identifications per day (ISO text and seconds since 1970, UTC),
 * per predicted class (most frequent first) and per model (a string, an
 * object's "version" or "name", or none), unknowns and mean confidences, the
 * totals, the summary text byte for byte; and the lines it refuses, each with
 * its reason, counting nothing.
 *
 * Functions used: tl_usage_new, tl_usage_add, tl_usage_rows,
 * tl_usage_totals, tl_usage_text, tl_usage_free.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report/usage.h"
#include "t.h"

static const char *const good_log[] = {
	"{\"time\":\"2026-03-01T10:00:00Z\",\"id\":\"a\",\"pred\":\"cat\",\"conf\":0.9,\"model\":\"v1\"}",
	"{\"time\":\"2026-03-01T11:00:00Z\",\"pred\":\"dog\",\"conf\":0.5,\"model\":{\"version\":\"v2\"}}",
	"{\"time\":1772452800,\"pred\":\"unknown\",\"conf\":0.2,\"model\":{\"name\":\"m\"}}",
	"{\"time\":\"2026-03-02\",\"pred\":\"cat\",\"conf\":null}\r\n",
	"{\"time\":\"2026-02-28T23:59:59\",\"pred\":\"cat\",\"conf\":1,\"model\":\"v1\"}\n",
};

/* One row wanted; conf NaN: none had a conf. */
struct row {
	const char *key;
	long long n, unknown;
	double conf;
};

static void
check_rows(struct tl_usage *u, enum tl_usage_by by, const char *name, const struct row *want,
           size_t nwant)
{
	struct tl_usage_row *rows;
	size_t n;
	char t[96];

	snprintf(t, sizeof t, "usage %s: rows", name);
	T_EQ_INT(t, tl_usage_rows(u, by, &rows, &n), 0);
	T_EQ_INT(t, n, nwant);
	for (size_t i = 0; i < n && i < nwant; i++) {
		snprintf(t, sizeof t, "usage %s: row %zu (%s)", name, i, want[i].key);
		T_EQ_STR(t, rows[i].key, want[i].key);
		T_EQ_INT(t, rows[i].n, want[i].n);
		T_EQ_INT(t, rows[i].unknown, want[i].unknown);
		if (isnan(want[i].conf))
			T_OK(t, isnan(rows[i].mean_conf));
		else
			T_NEAR(t, rows[i].mean_conf, want[i].conf, 1e-12, 0);
	}
	free(rows);
}

static void
test_counts(void)
{
	static const struct row days[] = {
		{ "2026-02-28", 1, 0, 1 },
		{ "2026-03-01", 2, 0, 0.7 },
		{ "2026-03-02", 2, 1, 0.2 },
	};
	static const struct row classes[] = { /* most frequent first, then by name */
		{ "cat", 3, 0, 0.95 },
		{ "dog", 1, 0, 0.5 },
		{ "unknown", 1, 1, 0.2 },
	};
	static const struct row models[] = {
		{ "(not named)", 1, 0, NAN },
		{ "m", 1, 1, 0.2 },
		{ "v1", 2, 0, 0.95 },
		{ "v2", 1, 0, 0.5 },
	};
	static const char text[] =
		"usage log t.jsonl: 5 identifications from 2026-02-28 to 2026-03-02, 2 bad lines\n"
		"unknown   1 (20.0%): 1 no reason given\n"
		"\n"
		"day               n   share  unknown     rate mean conf\n"
		"2026-02-28        1   20.0%        0     0.0%    1.0000\n"
		"2026-03-01        2   40.0%        0     0.0%    0.7000\n"
		"2026-03-02        2   40.0%        1    50.0%    0.2000\n"
		"\n"
		"predicted        n   share mean conf\n"
		"cat              3   60.0%    0.9500\n"
		"dog              1   20.0%    0.5000\n"
		"unknown          1   20.0%    0.2000\n"
		"\n"
		"model              n   share  unknown     rate mean conf\n"
		"(not named)        1   20.0%        0     0.0%         -\n"
		"m                  1   20.0%        1   100.0%    0.2000\n"
		"v1                 2   40.0%        0     0.0%    0.9500\n"
		"v2                 1   20.0%        0     0.0%    0.5000\n"
		"\n"
		"conf           n   share\n"
		"0.0-0.1        0    0.0%\n"
		"0.1-0.2        0    0.0%\n"
		"0.2-0.3        1   25.0%\n"
		"0.3-0.4        0    0.0%\n"
		"0.4-0.5        0    0.0%\n"
		"0.5-0.6        1   25.0%\n"
		"0.6-0.7        0    0.0%\n"
		"0.7-0.8        0    0.0%\n"
		"0.8-0.9        0    0.0%\n"
		"0.9-1.0        2   50.0%\n"
		"quantiles p10 0.2900, p50 0.7000, p90 0.9700 (4 with conf)\n";
	struct tl_usage *u = tl_usage_new();
	struct tl_err err;
	long long n = -1, unk = -1;
	char *got = NULL;
	size_t len = 0;
	FILE *m;

	T_OK("usage: new", u != NULL);
	for (size_t i = 0; i < sizeof good_log / sizeof good_log[0]; i++) {
		char t[64];

		snprintf(t, sizeof t, "usage: line %zu counted", i + 1);
		T_EQ_INT(t, tl_usage_add(u, good_log[i], strlen(good_log[i]), &err), 0);
	}
	T_EQ_INT("usage: a blank line", tl_usage_add(u, " \t\r\n", 4, &err), 1);
	T_EQ_INT("usage: an empty line", tl_usage_add(u, "", 0, &err), 1);
	tl_usage_totals(u, &n, &unk);
	T_EQ_INT("usage: total", n, 5);
	T_EQ_INT("usage: unknown", unk, 1);
	check_rows(u, TL_USAGE_DAY, "per day", days, 3);
	check_rows(u, TL_USAGE_CLASS, "per class", classes, 3);
	check_rows(u, TL_USAGE_MODEL, "per model", models, 4);

	m = open_memstream(&got, &len);
	tl_usage_text(m, u, "t.jsonl", 2);
	fclose(m);
	T_EQ_STR("usage: the text", got, text);
	free(got);
	tl_usage_free(u);
	tl_usage_free(NULL);

	/* an empty log */
	u = tl_usage_new();
	m = open_memstream(&got, &len);
	tl_usage_text(m, u, "none", 3);
	fclose(m);
	T_EQ_STR("usage: empty text", got, "usage log none: 0 identifications, 3 bad lines\n");
	free(got);
	tl_usage_free(u);
}

static void
test_bad(void)
{
	static const struct {
		const char *line, *msg; /* msg: the start of err.msg */
	} c[] = {
		{ "not json", "not JSON: " },
		{ "[1,2]", "not a JSON object" },
		{ "{\"pred\":\"cat\"}", "no \"time\" (YYYY-MM-DD... or seconds since 1970)" },
		{ "{\"time\":\"2026-3-01\",\"pred\":\"cat\"}", "no \"time\"" },
		{ "{\"time\":\"2026/03/01\",\"pred\":\"cat\"}", "no \"time\"" },
		{ "{\"time\":-5,\"pred\":\"cat\"}", "no \"time\"" },
		{ "{\"time\":1e12,\"pred\":\"cat\"}", "no \"time\"" },
		{ "{\"time\":true,\"pred\":\"cat\"}", "no \"time\"" },
		{ "{\"time\":\"2026-03-01\"}", "no \"pred\" string" },
		{ "{\"time\":\"2026-03-01\",\"pred\":3}", "no \"pred\" string" },
		{ "{\"time\":\"2026-03-01\",\"pred\":\"cat\",\"conf\":1.5}",
		  "\"conf\" is not a number from 0 to 1" },
		{ "{\"time\":\"2026-03-01\",\"pred\":\"cat\",\"conf\":-0.1}",
		  "\"conf\" is not a number from 0 to 1" },
		{ "{\"time\":\"2026-03-01\",\"pred\":\"cat\",\"conf\":\"0.5\"}",
		  "\"conf\" is not a number from 0 to 1" },
	};
	struct tl_usage *u = tl_usage_new();
	long long n = -1, unk = -1;
	size_t nrows = 9;
	struct tl_usage_row *rows;

	for (size_t k = 0; k < sizeof c / sizeof c[0]; k++) {
		struct tl_err err = { "" };
		char t[128];

		snprintf(t, sizeof t, "usage bad: %s", c[k].line);
		T_EQ_INT(t, tl_usage_add(u, c[k].line, strlen(c[k].line), &err), -1);
		T_OK(t, strncmp(err.msg, c[k].msg, strlen(c[k].msg)) == 0);
	}
	tl_usage_totals(u, &n, &unk);
	T_EQ_INT("usage bad: nothing counted", n, 0);
	T_EQ_INT("usage bad: no unknown", unk, 0);
	T_EQ_INT("usage bad: no day", tl_usage_rows(u, TL_USAGE_DAY, &rows, &nrows), 0);
	T_EQ_INT("usage bad: no day row", nrows, 0);
	free(rows);
	tl_usage_free(u);
}

int
main(void)
{
	test_counts();
	test_bad();
	T_DONE();
}
