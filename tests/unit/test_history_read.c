/*
 * test_history_read.c - report/history.c's tl_history_read, the one reader
 * of a history file's evaluations (the HTML page plots what it returns):
 * a file of evaluation lines mixed with lines that are not JSON or of
 * another kind, as a table of the points expected; the ring that keeps the
 * last max, oldest first; names from "model", else "date", else "?", cut
 * to fit; numbers absent as NaN; a missing file.
 */
#include <math.h>
#include <stdlib.h>
#include <unistd.h>

#include "report/history.h"
#include "scratch.h"
#include "t.h"

static const char *const lines[] = {
	"{\"kind\":\"evaluation\",\"model\":\"v1\",\"date\":\"d1\",\"metrics\":{\"accuracy\":"
	"{\"value\":0.5,\"lo\":0.4,\"hi\":0.6},\"macro_f1\":{\"value\":0.45}},"
	"\"per_class\":{\"ants\":{\"f1\":0.25},\"bees\":{\"f1\":0.75}}}",
	"not json at all",
	"{\"kind\":\"coverage\",\"model\":\"cov\"}",
	"{\"kind\":\"evaluation\",\"model\":\"\",\"date\":\"2024-05-01\",\"metrics\":{\"accuracy\":"
	"{\"value\":0.7}},\"per_class\":{\"bees\":{\"f1\":0.5}}}",
	"{\"kind\":\"evaluation\",\"metrics\":{}}",
	"{\"kind\":\"evaluation\",\"model\":\"a-model-name-that-is-longer-than-forty-seven-bytes-long\"}",
	"{\"model\":\"no kind\"}",
	"{\"kind\":\"evaluation\",\"model\":\"v5\",\"metrics\":{\"accuracy\":{\"value\":0.9,\"lo\":0.85,"
	"\"hi\":0.95},\"macro_f1\":{\"value\":0.88}},\"per_class\":{\"ants\":{\"f1\":0.8}}}",
};

static const struct {
	const char *name;
	double acc, lo, hi, macro_f1, f1[2]; /* -1: NaN */
} want[] = {
	{ "v1", 0.5, 0.4, 0.6, 0.45, { 0.25, 0.75 } },
	{ "2024-05-01", 0.7, -1, -1, -1, { -1, 0.5 } },
	{ "?", -1, -1, -1, -1, { -1, -1 } },
	{ "a-model-name-that-is-longer-than-forty-seven-by", -1, -1, -1, -1, { -1, -1 } },
	{ "v5", 0.9, 0.85, 0.95, 0.88, { 0.8, -1 } },
};

static int
same(double got, double w)
{
	return w < 0 ? isnan(got) : got == w;
}

static void
check(const char *tag, const struct tl_history_point *p, int first, int n)
{
	char name[96];

	for (int i = 0; i < n; i++) {
		int w = first + i, ok = 1;
		snprintf(name, sizeof name, "%s-point-%d-name", tag, i);
		T_EQ_STR(name, p[i].name, want[w].name);
		ok &= same(p[i].acc, want[w].acc) && same(p[i].lo, want[w].lo) &&
		      same(p[i].hi, want[w].hi) && same(p[i].macro_f1, want[w].macro_f1);
		ok &= same(p[i].f1[0], want[w].f1[0]) && same(p[i].f1[1], want[w].f1[1]);
		snprintf(name, sizeof name, "%s-point-%d-numbers", tag, i);
		T_OK(name, ok);
	}
}

int
main(void)
{
	static const char *const classes[] = { "ants", "bees" };
	GString *text = g_string_new(NULL);
	char path[4200];
	struct tl_history_point p[10];
	struct tl_err err;
	int made = 0, n = -1;

	for (size_t i = 0; i < sizeof lines / sizeof *lines; i++)
		g_string_append_printf(text, "%s\n", lines[i]);
	if (scratch_new("test_history_read") != NULL)
		made = spit("tl-history-points.jsonl", text->str) == 0;
	g_string_free(text, TRUE);
	T_OK("tmpfile", made);
	if (!made)
		T_DONE();
	snprintf(path, sizeof path, "%s", at("tl-history-points.jsonl"));

	T_EQ_INT("all-rc", tl_history_read(path, classes, 2, p, 10, &n, &err), 0);
	T_EQ_INT("all-n", n, 5);
	check("all", p, 0, n == 5 ? 5 : 0);
	/* the last three, oldest first, through the ring */
	T_EQ_INT("last3-rc", tl_history_read(path, classes, 2, p, 3, &n, &err), 0);
	T_EQ_INT("last3-n", n, 3);
	check("last3", p, 2, n == 3 ? 3 : 0);
	/* max a divisor of the count: the ring wraps exactly */
	T_EQ_INT("last1-rc", tl_history_read(path, classes, 2, p, 1, &n, &err), 0);
	check("last1", p, 4, n == 1 ? 1 : 0);
	unlink(path);

	n = -1;
	T_EQ_INT("missing-rc", tl_history_read(path, classes, 2, p, 10, &n, &err), -1);
	T_EQ_INT("missing-n", n, 0);
	T_OK("missing-msg", strncmp(err.msg, "--history: ", 11) == 0 &&
	     strstr(err.msg, "/tl-history-") != NULL && strstr(err.msg, ": cannot read") != NULL);
	scratch_close(0);
	T_DONE();
}
