/*
 * test_html.c - lib/report/html's three pages (evaluation, class coverage,
 * usage) written in a temporary folder from small inputs made here, checked
 * for what every page promises rather than byte for byte (the charts have
 * their own test, test_svg): a whole HTML document with the tool's footer,
 * nothing fetched (no script, no URL but the SVG namespace), no font named
 * but the page's (the charts inherit it), every <svg> closed, names escaped
 * (a class "a<b&c" never appears raw), the sections the page is made of, the
 * title, <h1> and headline boxes exactly (dataset, model, accuracy with its
 * Wilson interval, records; without a name or backbone; class coverage's
 * counts), the same bytes from the same input, and a path in a missing
 * folder refused with no file left.
 *
 * Functions used: tl_html_report, tl_html_coverage, tl_html_usage, and to
 * make their input tl_evalset_new/add/finish/free, tl_eval_defaults,
 * tl_eval_run, tl_eval_free, tl_usage_new/add/free, tl_history_append (not
 * the thumbnails, tl_shots_*, nor html.c's inner functions: they may move).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/version.h"
#include "report/history.h"
#include "report/html.h"
#include "report/metrics.h"
#include "report/report.h"
#include "report/usage.h"
#include "scratch.h"
#include "t.h"

static int
count(const char *s, const char *what)
{
	int n = 0;

	for (const char *p = s; (p = strstr(p, what)) != NULL; p += strlen(what))
		n++;
	return n;
}

/* What every page promises, and the strings this one must hold (NULL-ended). */
static void
check_page(const char *name, const char *rel, const char *const *has)
{
	static const char foot[] = "<footer>made by tl-report " TL_VERSION "</footer>\n</body>\n</html>\n";
	char *page = slurp(at(rel), NULL), t[160];
	const char *end;

	snprintf(t, sizeof t, "%s: written", name);
	T_OK(t, page != NULL);
	if (page == NULL)
		return;
	snprintf(t, sizeof t, "%s: an HTML document", name);
	T_OK(t, strncmp(page, "<!DOCTYPE html>\n<html lang=\"en\">\n", 32) == 0);
	end = page + strlen(page);
	snprintf(t, sizeof t, "%s: ends with the footer", name);
	T_OK(t, end - page >= (long)strlen(foot) && strcmp(end - strlen(foot), foot) == 0);
	snprintf(t, sizeof t, "%s: no script", name);
	T_EQ_INT(t, count(page, "<script"), 0);
	snprintf(t, sizeof t, "%s: no URL but the SVG namespace", name);
	T_EQ_INT(t, count(page, "http"), count(page, "xmlns=\"http://www.w3.org/2000/svg\""));
	snprintf(t, sizeof t, "%s: every <svg> closed", name);
	T_EQ_INT(t, count(page, "<svg "), count(page, "</svg>"));
	snprintf(t, sizeof t, "%s: no font named but the page's (the charts inherit it)", name);
	T_EQ_INT(t, count(page, "font-family"), 0);
	T_EQ_INT(t, count(page, "body{font:14px/1.45 'DejaVu Sans',Verdana,sans-serif;"), 1);
	snprintf(t, sizeof t, "%s: a name escaped, never raw", name);
	T_EQ_INT(t, count(page, "a<b&c"), 0);
	for (int i = 0; has[i] != NULL; i++) {
		snprintf(t, sizeof t, "%s: holds %.100s", name, has[i]);
		T_OK(t, strstr(page, has[i]) != NULL);
	}
	g_free(page);
}

/* Two calls on the same input give the same bytes. */
static void
check_same(const char *name, const char *rel1, const char *rel2)
{
	char *a = slurp(at(rel1), NULL), *b = slurp(at(rel2), NULL);

	T_OK(name, a && b && strcmp(a, b) == 0);
	g_free(a);
	g_free(b);
}

/* Six records over classes cat, dog and "a<b&c" (one an unknown verdict,
 * one without a label); NULL pred: none (class coverage). */
static struct tl_evalset *
evalset(int verdicts)
{
	static const struct {
		const char *id, *label, *pred;
		double conf;
	} r[] = {
		{ "r1", "cat", "cat", 0.9 },
		{ "r2", "cat", "dog", 0.6 },
		{ "r3", "dog", "dog", 0.8 },
		{ "r4", "a<b&c", "a<b&c", 0.7 },
		{ "r5", "dog", "unknown", 0.3 },
		{ "r6", NULL, "cat", 0.9 },
	};
	struct tl_evalset *s = tl_evalset_new(NULL, 0, NULL);
	struct tl_rec *rec = tl_rec_new();
	struct tl_err err;

	for (size_t i = 0; i < sizeof r / sizeof r[0]; i++) {
		tl_rec_clear(rec);
		tl_rec_set_str(rec, "id", r[i].id);
		if (r[i].label)
			tl_rec_set_str(rec, "label", r[i].label);
		if (verdicts) {
			tl_rec_set_str(rec, "pred", r[i].pred);
			tl_rec_set_f64(rec, "conf", r[i].conf);
		}
		if (tl_evalset_add(s, rec, &err) < 0)
			printf("  evalset: %s\n", err.msg);
	}
	tl_evalset_finish(s, &err);
	tl_rec_free(rec);
	return s;
}

/* The evaluation page's title, <h1> and headline boxes: set<1>'s 5
 * evaluated records, 3 right: accuracy 60.0%, Wilson 23.1-88.2%. */
static void
test_report(void)
{
	static const char *const has[] = {
		"<title>set&lt;1&gt; \xe2\x80\x94 mobilenetv2 head: accuracy 60.0% (23.1\xe2\x80\x93" "88.2%)</title>",
		"<h1>set&lt;1&gt; \xe2\x80\x94 mobilenetv2 head: accuracy 60.0% (23.1\xe2\x80\x93" "88.2%)</h1>",
		"<p class=\"meta\">reported 2026-01-01T00:00:00Z</p>",
		"<section id=\"metrics\">", "<section id=\"confusion\">", "<section id=\"classes\">",
		"<section id=\"calibration\">", "<section id=\"threshold\">", "<section id=\"losses\">",
		"<section id=\"history\">", "<a href=\"#history\">history</a>",
		"6 records read: 5 evaluated, 1 unlabelled, 0 bad",
		"1 predicted \"unknown\"", "a&lt;b&amp;c", NULL,
	};
	/* without a name or backbone: the classifier's file */
	static const char *const bare_has[] = {
		"<title>m.tlm: accuracy 60.0% (23.1\xe2\x80\x93" "88.2%)</title>",
		"<div><span>dataset</span><b>not named</b>", "<div><span>model</span><b>m.tlm</b><small>m.tlm</small></div>",
		NULL,
	};
	struct tl_evalset *s = evalset(1);
	struct tl_eval_opts o;
	struct tl_eval ev;
	struct tl_err err;
	char sha[65], head[1000];
	struct tl_report_meta m = { .model = "m<1>", .file = "m.tlm", .backbone = "mobilenetv2",
	                            .name = "set<1>", .date = "2026-01-01T00:00:00Z", .dataset = sha,
	                            .records = 6, .unlabelled = 1 };
	struct tl_report_meta bare = { .model = "m.tlm", .file = "m.tlm", .backbone = "", .name = "",
	                               .date = "2026-01-01T00:00:00Z", .dataset = sha, .records = 6 };
	static const char line[] =
		"{\"tl_report\":1,\"kind\":\"evaluation\",\"date\":\"2025-12-01\",\"model\":\"m0\","
		"\"dataset_sha256\":\"ffff\",\"metrics\":{\"accuracy\":{\"value\":0.5,\"lo\":0.2,"
		"\"hi\":0.8},\"macro_f1\":{\"value\":0.4}}}\n";

	tl_evalset_sha256(s, sha);
	tl_eval_defaults(&o);
	o.boot = 0;
	T_EQ_INT("report: evaluated", tl_eval_run(s, &o, &ev, &err), 0);
	T_EQ_INT("report: history written", tl_history_append(at("h.jsonl"), line, strlen(line), &err), 0);
	T_EQ_INT("report: page", tl_html_report(at("r.html"), &m, &ev, s, NULL, at("h.jsonl"), &err), 0);
	check_page("report", "r.html", has);
	{
		const char *const want[] = { head, NULL };
		snprintf(head, sizeof head,
		         "<h1>set&lt;1&gt; \xe2\x80\x94 mobilenetv2 head: accuracy 60.0%% (23.1\xe2\x80\x93" "88.2%%)</h1>\n"
		         "<div class=\"headline\">"
		         "<div><span>dataset</span><b>set&lt;1&gt;</b><small>sha256 %.16s (ids, labels)</small></div>"
		         "<div><span>model</span><b>mobilenetv2 head</b><small>m.tlm \xc2\xb7 version m&lt;1&gt;</small></div>"
		         "<div><span>accuracy</span><b>60.0%%</b><small>95%% interval 23.1\xe2\x80\x93" "88.2%%</small></div>"
		         "<div><span>records</span><b>5</b><small>evaluated, of 6 read</small></div>"
		         "</div>\n", sha);
		check_page("report: the headline", "r.html", want);
	}
	T_EQ_INT("report: again", tl_html_report(at("r2.html"), &m, &ev, s, NULL, at("h.jsonl"), &err), 0);
	check_same("report: the same bytes", "r.html", "r2.html");
	T_EQ_INT("report: no history", tl_html_report(at("r3.html"), &bare, &ev, s, NULL, NULL, &err), 0);
	check_page("report: nothing named", "r3.html", bare_has);
	{
		char *p = slurp(at("r3.html"), NULL);
		T_OK("report: no history section", p && strstr(p, "<section id=\"history\">") == NULL);
		g_free(p);
	}
	T_EQ_INT("report: a missing folder", tl_html_report(at("no/r.html"), &m, &ev, s, NULL, NULL, &err), -1);
	{
		char want[4400];
		snprintf(want, sizeof want, "--html: %s: No such file or directory", at("no/r.html"));
		T_EQ_STR("report: a missing folder's message", err.msg, want);
	}
	tl_eval_free(&ev);
	tl_evalset_free(s);
	remove(at("h.jsonl")), remove(at("r.html")), remove(at("r2.html")), remove(at("r3.html"));
}

static void
test_coverage(void)
{
	static const char *const has[] = {
		"<title>pets: class coverage of 5 records</title>", "<section id=\"coverage\">",
		"<div class=\"headline\"><div><span>dataset</span><b>pets</b>",
		"<div><span>records</span><b>5</b></div><div><span>classes</span><b>3</b>"
		"<small>1 below --min-count 2</small></div></div>\n",
		"The dashed line is --min-count (2).",
		"<td class=\"num\">1</td><td class=\"num\">1</td>", /* a<b&c: 1, 1 short */
		"a&lt;b&amp;c", NULL,
	};
	struct tl_evalset *s = evalset(0);
	struct tl_err err;
	char sha[65];
	struct tl_report_meta m = { .model = "", .backbone = "", .name = "pets",
	                            .date = "2026-01-01T00:00:00Z", .dataset = sha, .records = 6,
	                            .unlabelled = 1, .min_count = 2 };

	tl_evalset_sha256(s, sha);
	T_EQ_INT("coverage: no verdicts", tl_evalset_has_verdicts(s), 0);
	T_EQ_INT("coverage: page", tl_html_coverage(at("c.html"), &m, s, &err), 0);
	check_page("coverage", "c.html", has);
	T_EQ_INT("coverage: again", tl_html_coverage(at("c2.html"), &m, s, &err), 0);
	check_same("coverage: the same bytes", "c.html", "c2.html");
	T_EQ_INT("coverage: a missing folder", tl_html_coverage(at("no/c.html"), &m, s, &err), -1);
	tl_evalset_free(s);
	remove(at("c.html")), remove(at("c2.html"));
}

static void
test_usage(void)
{
	static const char *const log[] = {
		"{\"time\":\"2026-03-01T10:00:00Z\",\"pred\":\"cat\",\"conf\":0.9,\"model\":\"v1\"}",
		"{\"time\":\"2026-03-01T11:00:00Z\",\"pred\":\"a<b&c\",\"conf\":0.5,\"model\":\"v1\"}",
		"{\"time\":\"2026-03-02\",\"pred\":\"unknown\",\"conf\":0.2,\"model\":\"v2\",\"reject\":\"ood\"}",
	};
	static const char *const has[] = {
		"<title>u&lt;1&gt;.jsonl \xe2\x80\x94 usage: 3 identifications</title>",
		"<p class=\"meta\">log u&lt;1&gt;.jsonl: 3 identifications from 2026-03-01 to 2026-03-02, "
		"1 unknown (33.3%; 1 ood), 4 bad lines</p>",
		"<section id=\"days\">", "<section id=\"predicted\">", "<section id=\"models\">",
		"a&lt;b&amp;c", NULL,
	};
	static const char *const empty_has[] = {
		"<p class=\"meta\">log empty: 0 identifications, 0 unknown (0.0%), 1 bad line</p>", NULL,
	};
	struct tl_usage *u = tl_usage_new();
	struct tl_err err;

	for (size_t i = 0; i < sizeof log / sizeof log[0]; i++)
		tl_usage_add(u, log[i], strlen(log[i]), &err);
	T_EQ_INT("usage: page", tl_html_usage(at("u.html"), u, "u<1>.jsonl", 4, &err), 0);
	check_page("usage", "u.html", has);
	T_EQ_INT("usage: again", tl_html_usage(at("u2.html"), u, "u<1>.jsonl", 4, &err), 0);
	check_same("usage: the same bytes", "u.html", "u2.html");
	T_EQ_INT("usage: a missing folder", tl_html_usage(at("no/u.html"), u, "x", 0, &err), -1);
	tl_usage_free(u);
	u = tl_usage_new();
	T_EQ_INT("usage: an empty log", tl_html_usage(at("e.html"), u, "empty", 1, &err), 0);
	check_page("usage, empty", "e.html", empty_has);
	tl_usage_free(u);
	remove(at("u.html")), remove(at("u2.html")), remove(at("e.html"));
}

int
main(void)
{
	if (scratch_open("test_html") != 0)
		return 1;
	test_report();
	test_coverage();
	test_usage();
	if (scratch_close(0) != 0)
		T_OK("test_html: the folder holds only what the tests made", 0);
	T_DONE();
}
