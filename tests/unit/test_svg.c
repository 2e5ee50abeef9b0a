/*
 * test_svg.c - lib/report/svg: the exact SVG text of tiny charts, each
 * checked by hand against the layout rules of svg.c (margins, 1-2-5 tick
 * steps, one decimal): a bare frame; a titled line chart with axis titles,
 * percent ticks, a line broken at a NaN, markers, a dashed line and a
 * legend; a bar chart over categories with integer ticks, a hover tip and a
 * note; category labels slanted, cut to 16 characters, with a control
 * character and a byte that is not UTF-8 replaced; and two heat maps (counts
 * with a title and axis titles; percentages with a NaN shade); then the
 * heat map's cell and value sizes at 2, 6, 20 and 60 classes.  No chart
 * names a font (inline, they take the page's).  XML escaping is checked
 * through the labels.
 *
 * Functions used: tl_svg_begin, tl_svg_end, tl_svg_line, tl_svg_bar,
 * tl_svg_note, tl_svg_legend, tl_svg_heatmap (not tl_xml_text directly: its
 * name may move).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report/svg.h"
#include "t.h"

/* 200x100, x and y from 0 to 1, nothing else: l 48, t 12, r 184, b 76;
 * steps 0.2 on both axes. */
static void
frame(FILE *f)
{
	struct tl_svg_plot p = { .width = 200, .height = 100, .xmin = 0, .xmax = 1,
	                         .ymin = 0, .ymax = 1 };

	tl_svg_begin(f, &p);
	tl_svg_end(f);
}

static const char frame_svg[] =
	"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"200\" height=\"100\" viewBox=\"0 0 200 100\" font-size=\"12\" role=\"img\">"
	"<rect x=\"48.0\" y=\"12.0\" width=\"136.0\" height=\"64.0\" fill=\"#fafafa\" stroke=\"#999\"/>"
	"<line x1=\"48.0\" y1=\"76.0\" x2=\"184.0\" y2=\"76.0\" stroke=\"#e3e3e3\"/>"
	"<text x=\"44.0\" y=\"80.0\" text-anchor=\"end\">0.0</text>"
	"<line x1=\"48.0\" y1=\"63.2\" x2=\"184.0\" y2=\"63.2\" stroke=\"#e3e3e3\"/>"
	"<text x=\"44.0\" y=\"67.2\" text-anchor=\"end\">0.2</text>"
	"<line x1=\"48.0\" y1=\"50.4\" x2=\"184.0\" y2=\"50.4\" stroke=\"#e3e3e3\"/>"
	"<text x=\"44.0\" y=\"54.4\" text-anchor=\"end\">0.4</text>"
	"<line x1=\"48.0\" y1=\"37.6\" x2=\"184.0\" y2=\"37.6\" stroke=\"#e3e3e3\"/>"
	"<text x=\"44.0\" y=\"41.6\" text-anchor=\"end\">0.6</text>"
	"<line x1=\"48.0\" y1=\"24.8\" x2=\"184.0\" y2=\"24.8\" stroke=\"#e3e3e3\"/>"
	"<text x=\"44.0\" y=\"28.8\" text-anchor=\"end\">0.8</text>"
	"<line x1=\"48.0\" y1=\"12.0\" x2=\"184.0\" y2=\"12.0\" stroke=\"#e3e3e3\"/>"
	"<text x=\"44.0\" y=\"16.0\" text-anchor=\"end\">1.0</text>"
	"<line x1=\"48.0\" y1=\"12.0\" x2=\"48.0\" y2=\"76.0\" stroke=\"#e3e3e3\"/>"
	"<text x=\"48.0\" y=\"90.0\" text-anchor=\"middle\">0.0</text>"
	"<line x1=\"75.2\" y1=\"12.0\" x2=\"75.2\" y2=\"76.0\" stroke=\"#e3e3e3\"/>"
	"<text x=\"75.2\" y=\"90.0\" text-anchor=\"middle\">0.2</text>"
	"<line x1=\"102.4\" y1=\"12.0\" x2=\"102.4\" y2=\"76.0\" stroke=\"#e3e3e3\"/>"
	"<text x=\"102.4\" y=\"90.0\" text-anchor=\"middle\">0.4</text>"
	"<line x1=\"129.6\" y1=\"12.0\" x2=\"129.6\" y2=\"76.0\" stroke=\"#e3e3e3\"/>"
	"<text x=\"129.6\" y=\"90.0\" text-anchor=\"middle\">0.6</text>"
	"<line x1=\"156.8\" y1=\"12.0\" x2=\"156.8\" y2=\"76.0\" stroke=\"#e3e3e3\"/>"
	"<text x=\"156.8\" y=\"90.0\" text-anchor=\"middle\">0.8</text>"
	"<line x1=\"184.0\" y1=\"12.0\" x2=\"184.0\" y2=\"76.0\" stroke=\"#e3e3e3\"/>"
	"<text x=\"184.0\" y=\"90.0\" text-anchor=\"middle\">1.0</text>"
	"</svg>\n";

/* l 62 (y title), t 30 + 20 (title, legend), b 80 (x title); y 0..50% by
 * 10%, x 1..4 by 0.5. */
static void
lines(FILE *f)
{
	struct tl_svg_plot p = { .width = 240, .height = 120, .title = "T & t", .xlabel = "epoch",
	                         .ylabel = "loss", .xmin = 1, .xmax = 4, .ymin = 0, .ymax = 0.5,
	                         .ypercent = 1, .legend = 1 };
	double x[4] = { 1, 2, 3, 4 }, y[4] = { 0.5, 0.25, NAN, 0.1 };
	const char *names[2] = { "train", "val <b>" }, *cols[2] = { "#1f77b4", "#ff7f0e" };

	tl_svg_begin(f, &p);
	tl_svg_line(f, &p, x, y, 4, "#1f77b4", 1, 0);
	tl_svg_line(f, &p, x, y, 2, "#ff7f0e", 0, 1);
	tl_svg_legend(f, &p, names, cols, 2);
	tl_svg_end(f);
}

static const char lines_svg[] =
	"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"240\" height=\"120\" viewBox=\"0 0 240 120\" font-size=\"12\" role=\"img\">"
	"<title>T &amp; t</title>"
	"<text x=\"143.0\" y=\"19\" font-size=\"14\" font-weight=\"bold\" text-anchor=\"middle\">T &amp; t</text>"
	"<rect x=\"62.0\" y=\"50.0\" width=\"162.0\" height=\"30.0\" fill=\"#fafafa\" stroke=\"#999\"/>"
	"<line x1=\"62.0\" y1=\"80.0\" x2=\"224.0\" y2=\"80.0\" stroke=\"#e3e3e3\"/>"
	"<text x=\"58.0\" y=\"84.0\" text-anchor=\"end\">0%</text>"
	"<line x1=\"62.0\" y1=\"74.0\" x2=\"224.0\" y2=\"74.0\" stroke=\"#e3e3e3\"/>"
	"<text x=\"58.0\" y=\"78.0\" text-anchor=\"end\">10%</text>"
	"<line x1=\"62.0\" y1=\"68.0\" x2=\"224.0\" y2=\"68.0\" stroke=\"#e3e3e3\"/>"
	"<text x=\"58.0\" y=\"72.0\" text-anchor=\"end\">20%</text>"
	"<line x1=\"62.0\" y1=\"62.0\" x2=\"224.0\" y2=\"62.0\" stroke=\"#e3e3e3\"/>"
	"<text x=\"58.0\" y=\"66.0\" text-anchor=\"end\">30%</text>"
	"<line x1=\"62.0\" y1=\"56.0\" x2=\"224.0\" y2=\"56.0\" stroke=\"#e3e3e3\"/>"
	"<text x=\"58.0\" y=\"60.0\" text-anchor=\"end\">40%</text>"
	"<line x1=\"62.0\" y1=\"50.0\" x2=\"224.0\" y2=\"50.0\" stroke=\"#e3e3e3\"/>"
	"<text x=\"58.0\" y=\"54.0\" text-anchor=\"end\">50%</text>"
	"<line x1=\"62.0\" y1=\"50.0\" x2=\"62.0\" y2=\"80.0\" stroke=\"#e3e3e3\"/>"
	"<text x=\"62.0\" y=\"94.0\" text-anchor=\"middle\">1.0</text>"
	"<line x1=\"89.0\" y1=\"50.0\" x2=\"89.0\" y2=\"80.0\" stroke=\"#e3e3e3\"/>"
	"<text x=\"89.0\" y=\"94.0\" text-anchor=\"middle\">1.5</text>"
	"<line x1=\"116.0\" y1=\"50.0\" x2=\"116.0\" y2=\"80.0\" stroke=\"#e3e3e3\"/>"
	"<text x=\"116.0\" y=\"94.0\" text-anchor=\"middle\">2.0</text>"
	"<line x1=\"143.0\" y1=\"50.0\" x2=\"143.0\" y2=\"80.0\" stroke=\"#e3e3e3\"/>"
	"<text x=\"143.0\" y=\"94.0\" text-anchor=\"middle\">2.5</text>"
	"<line x1=\"170.0\" y1=\"50.0\" x2=\"170.0\" y2=\"80.0\" stroke=\"#e3e3e3\"/>"
	"<text x=\"170.0\" y=\"94.0\" text-anchor=\"middle\">3.0</text>"
	"<line x1=\"197.0\" y1=\"50.0\" x2=\"197.0\" y2=\"80.0\" stroke=\"#e3e3e3\"/>"
	"<text x=\"197.0\" y=\"94.0\" text-anchor=\"middle\">3.5</text>"
	"<line x1=\"224.0\" y1=\"50.0\" x2=\"224.0\" y2=\"80.0\" stroke=\"#e3e3e3\"/>"
	"<text x=\"224.0\" y=\"94.0\" text-anchor=\"middle\">4.0</text>"
	"<text x=\"143.0\" y=\"114\" text-anchor=\"middle\" fill=\"#444\">epoch</text>"
	"<text x=\"14\" y=\"65.0\" text-anchor=\"middle\" fill=\"#444\" transform=\"rotate(-90 14 65.0)\">loss</text>"
	"<path fill=\"none\" stroke=\"#1f77b4\" stroke-width=\"2\" d=\"M62.0 50.0 L116.0 65.0 M224.0 74.0\"/>"
	"<circle cx=\"62.0\" cy=\"50.0\" r=\"3\" fill=\"#1f77b4\"/>"
	"<circle cx=\"116.0\" cy=\"65.0\" r=\"3\" fill=\"#1f77b4\"/>"
	"<circle cx=\"224.0\" cy=\"74.0\" r=\"3\" fill=\"#1f77b4\"/>"
	"<path fill=\"none\" stroke=\"#ff7f0e\" stroke-width=\"2\" stroke-dasharray=\"5 4\" d=\"M62.0 50.0 L116.0 65.0\"/>"
	"<rect x=\"62.0\" y=\"32.0\" width=\"10\" height=\"10\" fill=\"#1f77b4\"/>"
	"<text x=\"76.0\" y=\"41.0\">train</text>"
	"<rect x=\"127.0\" y=\"32.0\" width=\"10\" height=\"10\" fill=\"#ff7f0e\"/>"
	"<text x=\"141.0\" y=\"41.0\">val &lt;b&gt;</text>"
	"</svg>\n";

/* Three category slots of 58.7 px (an empty label is not drawn); y counts:
 * a step of 0.5 raised to 1. */
static void
bars(FILE *f)
{
	const char *cats[3] = { "cat", "", "dog" };
	struct tl_svg_plot p = { .width = 240, .height = 120, .ncat = 3, .cats = cats,
	                         .ymin = 0, .ymax = 3, .yint = 1 };

	tl_svg_begin(f, &p);
	tl_svg_bar(f, &p, 0.1, 0.9, 2, "#888", "cat: 2 <of 3>");
	tl_svg_bar(f, &p, 2.1, 2.9, 1, "#888", NULL);
	tl_svg_note(f, &p, 0.5, 2, -4, "2");
	tl_svg_end(f);
}

static const char bars_svg[] =
	"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"240\" height=\"120\" viewBox=\"0 0 240 120\" font-size=\"12\" role=\"img\">"
	"<rect x=\"48.0\" y=\"12.0\" width=\"176.0\" height=\"84.0\" fill=\"#fafafa\" stroke=\"#999\"/>"
	"<line x1=\"48.0\" y1=\"96.0\" x2=\"224.0\" y2=\"96.0\" stroke=\"#e3e3e3\"/>"
	"<text x=\"44.0\" y=\"100.0\" text-anchor=\"end\">0</text>"
	"<line x1=\"48.0\" y1=\"68.0\" x2=\"224.0\" y2=\"68.0\" stroke=\"#e3e3e3\"/>"
	"<text x=\"44.0\" y=\"72.0\" text-anchor=\"end\">1</text>"
	"<line x1=\"48.0\" y1=\"40.0\" x2=\"224.0\" y2=\"40.0\" stroke=\"#e3e3e3\"/>"
	"<text x=\"44.0\" y=\"44.0\" text-anchor=\"end\">2</text>"
	"<line x1=\"48.0\" y1=\"12.0\" x2=\"224.0\" y2=\"12.0\" stroke=\"#e3e3e3\"/>"
	"<text x=\"44.0\" y=\"16.0\" text-anchor=\"end\">3</text>"
	"<text x=\"77.3\" y=\"110.0\" text-anchor=\"middle\">cat</text>"
	"<text x=\"194.7\" y=\"110.0\" text-anchor=\"middle\">dog</text>"
	"<rect x=\"53.9\" y=\"40.0\" width=\"46.9\" height=\"56.0\" fill=\"#888\">"
	"<title>cat: 2 &lt;of 3&gt;</title>"
	"</rect>"
	"<rect x=\"171.2\" y=\"68.0\" width=\"46.9\" height=\"28.0\" fill=\"#888\">"
	"</rect>"
	"<text x=\"77.3\" y=\"36.0\" text-anchor=\"middle\" font-size=\"10\" fill=\"#333\">2</text>"
	"</svg>\n";

/* A label of 17+ characters (17 * 6.2 px > 95% of a 68 px slot): labels
 * slanted, the plot's bottom raised by 17 * 6.2 * 0.64 px. */
static void
slanted(FILE *f)
{
	const char *cats[2] = { "a very long category name", "caf\xc3\xa9\x01\xff" };
	struct tl_svg_plot p = { .width = 200, .height = 120, .ncat = 2, .cats = cats,
	                         .ymin = 0, .ymax = 1 };

	tl_svg_begin(f, &p);
	tl_svg_end(f);
}

static const char slanted_svg[] =
	"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"200\" height=\"120\" viewBox=\"0 0 200 120\" font-size=\"12\" role=\"img\">"
	"<rect x=\"48.0\" y=\"12.0\" width=\"136.0\" height=\"7.8\" fill=\"#fafafa\" stroke=\"#999\"/>"
	"<line x1=\"48.0\" y1=\"19.8\" x2=\"184.0\" y2=\"19.8\" stroke=\"#e3e3e3\"/>"
	"<text x=\"44.0\" y=\"23.8\" text-anchor=\"end\">0.0</text>"
	"<line x1=\"48.0\" y1=\"18.3\" x2=\"184.0\" y2=\"18.3\" stroke=\"#e3e3e3\"/>"
	"<text x=\"44.0\" y=\"22.3\" text-anchor=\"end\">0.2</text>"
	"<line x1=\"48.0\" y1=\"16.7\" x2=\"184.0\" y2=\"16.7\" stroke=\"#e3e3e3\"/>"
	"<text x=\"44.0\" y=\"20.7\" text-anchor=\"end\">0.4</text>"
	"<line x1=\"48.0\" y1=\"15.1\" x2=\"184.0\" y2=\"15.1\" stroke=\"#e3e3e3\"/>"
	"<text x=\"44.0\" y=\"19.1\" text-anchor=\"end\">0.6</text>"
	"<line x1=\"48.0\" y1=\"13.6\" x2=\"184.0\" y2=\"13.6\" stroke=\"#e3e3e3\"/>"
	"<text x=\"44.0\" y=\"17.6\" text-anchor=\"end\">0.8</text>"
	"<line x1=\"48.0\" y1=\"12.0\" x2=\"184.0\" y2=\"12.0\" stroke=\"#e3e3e3\"/>"
	"<text x=\"44.0\" y=\"16.0\" text-anchor=\"end\">1.0</text>"
	"<text x=\"82.0\" y=\"31.8\" text-anchor=\"end\" transform=\"rotate(-40 82.0 31.8)\">a very long cate\xe2\x80\xa6" "</text>"
	"<text x=\"150.0\" y=\"31.8\" text-anchor=\"end\" transform=\"rotate(-40 150.0 31.8)\">caf\xc3\xa9\xef\xbf\xbd\xef\xbf\xbd" "</text>"
	"</svg>\n";

/* 2x2 counts: cells of 80 px (capped: 360 / 2 is more), values at 14 px,
 * column labels across (they fit a cell), the chart 231 px wide (the
 * title fits), a zero count without text, white text on shades above
 * 0.55; shade 0.2 is 40% of the way from white to light blue. */
static void
heat_counts(FILE *f)
{
	const char *r[2] = { "cat", "d<g" }, *c[2] = { "cat", "d<g" };
	double v[4] = { 5, 1, 0, 3 }, s[4] = { 1, 0.2, 0, 0.6 };

	tl_svg_heatmap(f, "Confusion", 2, 2, r, c, v, s, 0, "predicted", "true");
}

static const char heat_counts_svg[] =
	"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"231\" height=\"234\" viewBox=\"0 0 231 234\" font-size=\"12\" role=\"img\">"
	"<title>Confusion</title>"
	"<text x=\"135.0\" y=\"19\" font-size=\"14\" font-weight=\"bold\" text-anchor=\"middle\">Confusion</text>"
	"<text x=\"49.0\" y=\"76.0\" text-anchor=\"end\">cat</text>"
	"<rect x=\"55.0\" y=\"32.0\" width=\"80.0\" height=\"80.0\" fill=\"rgb(8,48,107)\" stroke=\"#fff\">"
	"<title>cat \xe2\x86\x92" " cat: 5</title>"
	"</rect>"
	"<text x=\"95.0\" y=\"76.9\" text-anchor=\"middle\" font-size=\"14.0\" fill=\"#fff\">5</text>"
	"<rect x=\"135.0\" y=\"32.0\" width=\"80.0\" height=\"80.0\" fill=\"rgb(191,220,239)\" stroke=\"#fff\">"
	"<title>cat \xe2\x86\x92" " d&lt;g: 1</title>"
	"</rect>"
	"<text x=\"175.0\" y=\"76.9\" text-anchor=\"middle\" font-size=\"14.0\" fill=\"#222\">1</text>"
	"<text x=\"49.0\" y=\"156.0\" text-anchor=\"end\">d&lt;g</text>"
	"<rect x=\"55.0\" y=\"112.0\" width=\"80.0\" height=\"80.0\" fill=\"rgb(247,251,255)\" stroke=\"#fff\">"
	"<title>d&lt;g \xe2\x86\x92" " cat: 0</title>"
	"</rect>"
	"<rect x=\"135.0\" y=\"112.0\" width=\"80.0\" height=\"80.0\" fill=\"rgb(87,149,193)\" stroke=\"#fff\">"
	"<title>d&lt;g \xe2\x86\x92" " d&lt;g: 3</title>"
	"</rect>"
	"<text x=\"175.0\" y=\"156.9\" text-anchor=\"middle\" font-size=\"14.0\" fill=\"#fff\">3</text>"
	"<text x=\"95.0\" y=\"208.0\" text-anchor=\"middle\">cat</text>"
	"<text x=\"175.0\" y=\"208.0\" text-anchor=\"middle\">d&lt;g</text>"
	"<text x=\"135.0\" y=\"228\" text-anchor=\"middle\" fill=\"#444\">predicted</text>"
	"<text x=\"14\" y=\"112.0\" text-anchor=\"middle\" fill=\"#444\" transform=\"rotate(-90 14 112.0)\">true</text>"
	"</svg>\n";

/* 2x3 percentages, no titles: cells of 80 px, "100%" at 14 px; a zero
 * shows as 0%, a NaN shade is white. */
static void
heat_percent(FILE *f)
{
	const char *r[2] = { "a", "b" }, *c[3] = { "x", "y", "z" };
	double v[6] = { 0.5, 0.25, 0.25, 0, 1, 0 }, s[6] = { 0.5, 0.25, 0.25, 0, 1, NAN };

	tl_svg_heatmap(f, NULL, 2, 3, r, c, v, s, 1, NULL, NULL);
}

static const char heat_percent_svg[] =
	"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"297\" height=\"194\" viewBox=\"0 0 297 194\" font-size=\"12\" role=\"img\">"
	"<text x=\"35.0\" y=\"54.0\" text-anchor=\"end\">a</text>"
	"<rect x=\"41.0\" y=\"10.0\" width=\"80.0\" height=\"80.0\" fill=\"rgb(107,174,214)\" stroke=\"#fff\">"
	"<title>a \xe2\x86\x92" " x: 50.0%</title>"
	"</rect>"
	"<text x=\"81.0\" y=\"54.9\" text-anchor=\"middle\" font-size=\"14.0\" fill=\"#222\">50%</text>"
	"<rect x=\"121.0\" y=\"10.0\" width=\"80.0\" height=\"80.0\" fill=\"rgb(177,213,235)\" stroke=\"#fff\">"
	"<title>a \xe2\x86\x92" " y: 25.0%</title>"
	"</rect>"
	"<text x=\"161.0\" y=\"54.9\" text-anchor=\"middle\" font-size=\"14.0\" fill=\"#222\">25%</text>"
	"<rect x=\"201.0\" y=\"10.0\" width=\"80.0\" height=\"80.0\" fill=\"rgb(177,213,235)\" stroke=\"#fff\">"
	"<title>a \xe2\x86\x92" " z: 25.0%</title>"
	"</rect>"
	"<text x=\"241.0\" y=\"54.9\" text-anchor=\"middle\" font-size=\"14.0\" fill=\"#222\">25%</text>"
	"<text x=\"35.0\" y=\"134.0\" text-anchor=\"end\">b</text>"
	"<rect x=\"41.0\" y=\"90.0\" width=\"80.0\" height=\"80.0\" fill=\"rgb(247,251,255)\" stroke=\"#fff\">"
	"<title>b \xe2\x86\x92" " x: 0.0%</title>"
	"</rect>"
	"<text x=\"81.0\" y=\"134.9\" text-anchor=\"middle\" font-size=\"14.0\" fill=\"#222\">0%</text>"
	"<rect x=\"121.0\" y=\"90.0\" width=\"80.0\" height=\"80.0\" fill=\"rgb(8,48,107)\" stroke=\"#fff\">"
	"<title>b \xe2\x86\x92" " y: 100.0%</title>"
	"</rect>"
	"<text x=\"161.0\" y=\"134.9\" text-anchor=\"middle\" font-size=\"14.0\" fill=\"#fff\">100%</text>"
	"<rect x=\"201.0\" y=\"90.0\" width=\"80.0\" height=\"80.0\" fill=\"rgb(247,251,255)\" stroke=\"#fff\">"
	"<title>b \xe2\x86\x92" " z: 0.0%</title>"
	"</rect>"
	"<text x=\"241.0\" y=\"134.9\" text-anchor=\"middle\" font-size=\"14.0\" fill=\"#222\">0%</text>"
	"<text x=\"81.0\" y=\"186.0\" text-anchor=\"middle\">x</text>"
	"<text x=\"161.0\" y=\"186.0\" text-anchor=\"middle\">y</text>"
	"<text x=\"241.0\" y=\"186.0\" text-anchor=\"middle\">z</text>"
	"</svg>\n";

/* A confusion matrix of k classes ("unknown" a column more): its first
 * cell's size and its first value's font size ("" no value drawn). */
static void
heat_sizes(const char *name, int k, const char *cell, const char *font)
{
	const char **r = calloc(k + 1, sizeof *r);
	double *v = calloc((size_t)k * (k + 1), sizeof *v);
	char *got = NULL, want[120], t[160];
	size_t len = 0;
	FILE *m = open_memstream(&got, &len);

	for (int i = 0; i <= k; i++)
		r[i] = i < k ? "class" : "unknown";
	for (int i = 0; i < k; i++)
		v[(size_t)i * (k + 1) + i] = 25;
	tl_svg_heatmap(m, "Counts", k, k + 1, r, r, v, v, 0, "prediction", "label");
	fclose(m);
	snprintf(want, sizeof want, "width=\"%s\" height=\"%s\"", cell, cell);
	snprintf(t, sizeof t, "%s: cells of %s px", name, cell);
	T_OK(t, got && strstr(got, want) != NULL);
	snprintf(want, sizeof want, "font-size=\"%s\" fill=", font);
	snprintf(t, sizeof t, "%s: values at %s px", name, *font ? font : "(none)");
	T_OK(t, got && (*font ? strstr(got, want) != NULL : strstr(got, ">25</text>") == NULL));
	free(got), free(r), free(v);
}

int
main(void)
{
	static const struct {
		const char *name;
		void (*draw)(FILE *);
		const char *want;
	} c[] = {
		{ "svg: a bare frame", frame, frame_svg },
		{ "svg: lines, titles, legend", lines, lines_svg },
		{ "svg: bars over categories", bars, bars_svg },
		{ "svg: slanted, cut and replaced labels", slanted, slanted_svg },
		{ "svg: heat map of counts", heat_counts, heat_counts_svg },
		{ "svg: heat map of percentages", heat_percent, heat_percent_svg },
	};

	for (size_t k = 0; k < sizeof c / sizeof c[0]; k++) {
		char *got = NULL;
		size_t len = 0;
		FILE *m = open_memstream(&got, &len);

		c[k].draw(m);
		fclose(m);
		T_EQ_STR(c[k].name, got, c[k].want);
		if (got && strcmp(got, c[k].want) != 0) /* where they part */
			for (size_t i = 0; got[i]; i++)
				if (got[i] != c[k].want[i]) {
					printf("  first difference at byte %zu: %.60s\n", i, got + i);
					break;
				}
		free(got);
	}
	/* 360 px over 3 columns capped at 80; over 7: 51.4; over 21: 17.1,
	 * raised to 26 (21 x 26 < 1000); over 61: 1000 / 61 = 16.4, too small
	 * for values: font 0.3 x 16.4 under 7 px */
	heat_sizes("svg: 2 classes", 2, "80.0", "14.0");
	heat_sizes("svg: 6 classes", 6, "51.4", "14.0");
	heat_sizes("svg: 20 classes", 20, "26.0", "7.8");
	heat_sizes("svg: 60 classes", 60, "16.4", "");
	T_DONE();
}
