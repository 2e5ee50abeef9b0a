/*
 * version.h - tl's version, in every stream header's "producer", the HTML
 * report's footer and each tool's --version.  Its own header so that lib/
 * code can name it without the tools' cli.h.  A string constant: nothing
 * to free.
 */
#ifndef TL_VERSION_H
#define TL_VERSION_H

#define TL_VERSION "0.1.0"

#endif
