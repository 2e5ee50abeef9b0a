/*
 * xml.h - text inside XML and HTML: the one escaping that the SVG charts
 * (svg.h) and the HTML pages (html.h) put every id, label and name
 * through.  Writes to a FILE the caller owns (write errors show in
 * ferror(f)); allocates nothing.
 *
 * Not here: markup, attributes' quoting rules beyond the five entities.
 */
#ifndef TL_XML_H
#define TL_XML_H

#include <stdio.h>

/* s as XML/HTML text, with & < > " ' escaped; bytes that are not valid
 * UTF-8 and control characters other than tab and newline (which XML does
 * not allow, even escaped) become U+FFFD.  max > 0: at most max characters,
 * the rest shown as an ellipsis.  NULL prints nothing. */
void tl_xml_text(FILE *f, const char *s, int max);

#endif
