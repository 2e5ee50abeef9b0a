/*
 * svg.h - charts as inline SVG text for the HTML report (html.h): a plot
 * frame with axes, ticks, grid and labels, into which lines, points, bars
 * and text are drawn in data coordinates; and a heat map of a matrix.
 * Labels go through xml.h's tl_xml_text.  Everything is plain text
 * written to a FILE the caller owns (write errors show in ferror(f)); no
 * allocation, no font named (inline in a page, a chart's text is in the
 * page's font) nor measured (text widths are estimated from character
 * counts), no JavaScript: a hover tip is an SVG <title>.
 *
 * Not here: what is plotted (html.c), the page around the charts.
 */
#ifndef TL_SVG_H
#define TL_SVG_H

#include <stdio.h>

/* A plot: set the fields above the line, then tl_svg_begin draws the
 * frame and fills the plot area. */
struct tl_svg_plot {
	int width, height;            /* of the whole chart, px */
	const char *title;            /* above the plot; NULL: none */
	const char *xlabel, *ylabel;  /* axis titles; NULL: none */
	double xmin, xmax, ymin, ymax;
	int ncat;                     /* > 0: x holds categories, slot i is [i, i+1) */
	const char *const *cats;      /* [ncat] their labels; NULL or "" entries: none */
	int xpercent, ypercent;       /* tick labels as percentages of 1 */
	int legend;                   /* 1: keep a band above the plot for tl_svg_legend */
	int yint;                     /* y counts things: integer ticks */
	/* ---- set by tl_svg_begin */
	double l, t, r, b;            /* the plot area, px */
};

/* Opens <svg> and draws the frame, grid, ticks, tick labels, axis titles
 * and title of p. */
void tl_svg_begin(FILE *f, struct tl_svg_plot *p);
/* Closes the <svg>. */
void tl_svg_end(FILE *f);

/* A polyline through (x[i], y[i]), i < n, broken where y is NaN; markers:
 * a dot at each point.  dash: a dashed line.  colour: any CSS colour. */
void tl_svg_line(FILE *f, const struct tl_svg_plot *p, const double *x, const double *y,
                 int n, const char *colour, int markers, int dash);
/* A bar over x in [x0, x1) from the y axis's minimum to y, with a hover
 * tip (NULL: none). */
void tl_svg_bar(FILE *f, const struct tl_svg_plot *p, double x0, double x1, double y,
                const char *colour, const char *tip);
/* Small text centred at (x, y) in data coordinates, dy px below it. */
void tl_svg_note(FILE *f, const struct tl_svg_plot *p, double x, double y, int dy,
                 const char *text);
/* A legend in the band above the plot (p->legend): n swatches with names,
 * in a row. */
void tl_svg_legend(FILE *f, const struct tl_svg_plot *p, const char *const *names,
                   const char *const *colours, int n);

/* A heat map of v[rows][cols]: cell (i, j) shaded by shade[i*cols+j] in
 * 0..1 (white to dark blue) and labelled with v as a count, or as a
 * percentage of 1 when percent; rows labelled down the left, columns
 * along the bottom (across when they fit a cell, else slanted).  A cell is
 * 360 px over the longer side, between 26 px (while the map stays within
 * 1000 px) and 80 px; its value as large as fits (up to 14 px), none when
 * that is under 7 px (the cell's tip still holds it).  The title widens
 * the chart when it is wider than the cells. */
void tl_svg_heatmap(FILE *f, const char *title, int rows, int cols,
                    const char *const *rlabels, const char *const *clabels,
                    const double *v, const double *shade, int percent,
                    const char *xlabel, const char *ylabel);

#endif
