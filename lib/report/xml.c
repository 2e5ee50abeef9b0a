/*
 * xml.c - text escaped for XML and HTML (xml.h).  The UTF-8 check is by
 * hand rather than GLib's g_utf8_make_valid and g_markup_escape_text: those
 * neither cut at a number of characters nor replace the control characters
 * that XML forbids.
 *
 * Not here: the markup around the text (svg.c, html.c).
 */
#include "report/xml.h"

void
tl_xml_text(FILE *f, const char *s, int max)
{
	const unsigned char *p = (const unsigned char *)s;
	int nch = 0;

	if (s == NULL)
		return;
	while (*p) {
		unsigned c = *p, cp = c;
		int len = 1;

		if (max > 0 && nch == max) {
			fputs("\xe2\x80\xa6", f); /* ... */
			return;
		}
		nch++;
		if (c >= 0x80) {
			len = c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3 :
			      c >= 0xf0 && c <= 0xf4 ? 4 : 0;
			cp = c & (len == 2 ? 0x1f : len == 3 ? 0x0f : 0x07);
			for (int i = 1; i < len; i++) {
				if ((p[i] & 0xc0) != 0x80) {
					len = 0;
					break;
				}
				cp = cp << 6 | (p[i] & 0x3f);
			}
			if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff) || cp >= 0xfffe)) ||
			    (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
				len = 0;
		}
		if (len == 0 || (cp < 0x20 && cp != '\t' && cp != '\n')) {
			fputs("\xef\xbf\xbd", f); /* U+FFFD */
			p += len ? len : 1;
			continue;
		}
		switch (cp) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&#39;", f); break;
		default: fwrite(p, 1, len, f);
		}
		p += len;
	}
}
