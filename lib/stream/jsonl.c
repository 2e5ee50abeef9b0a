/*
 * jsonl.c - JSON Lines files to records (jsonl.h): files opened one after
 * the other, a line read into one growing buffer, parsed by json.c and
 * converted by recjson.c; header lines merged, trailers dropped.
 * Deliberately not here: the JSON form (recjson.c), the syntax (json.c).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "stream/jsonl.h"
#include "stream/recjson.h"
#include "stream/stream.h"

#define MAX_LINE ((size_t)4 << 30) /* bytes of one JSON line */

struct tl_jsonl_reader {
	char *const *paths;
	int npaths, next;       /* next: index of the next file to open */
	FILE *f;                /* current input; NULL between files */
	const char *name;       /* for messages: "stdin" or the path */
	unsigned long long line;
	char *buf;
	size_t cap;
	struct tl_json_parser *ps;
	struct tl_rec *hdr, *tmp;
	int have_hdr;
	char where[300]; /* "name:line" */
};

static const char *const stdin_path[] = {"-"};

static int
open_next(struct tl_jsonl_reader *jr, struct tl_err *err)
{
	const char *path = jr->paths[jr->next++];

	jr->line = 0;
	if (strcmp(path, "-") == 0) {
		jr->f = stdin;
		jr->name = "stdin";
		return 0;
	}
	jr->name = path;
	if ((jr->f = fopen(path, "r")) == NULL)
		return tl_err_set(err, "%s: %s", path, strerror(errno));
	return 0;
}

static void
close_cur(struct tl_jsonl_reader *jr)
{
	if (jr->f != NULL && jr->f != stdin)
		fclose(jr->f);
	jr->f = NULL;
}

struct tl_jsonl_reader *
tl_jsonl_reader_open(char *const *paths, int n, struct tl_err *err)
{
	struct tl_jsonl_reader *jr = calloc(1, sizeof *jr);

	if (jr == NULL || (jr->ps = tl_json_parser_new()) == NULL) {
		free(jr);
		tl_err_set(err, "out of memory");
		return NULL;
	}
	jr->paths = n > 0 ? paths : (char *const *)stdin_path;
	jr->npaths = n > 0 ? n : 1;
	jr->hdr = tl_rec_new();
	jr->tmp = tl_rec_new();
	if (jr->hdr == NULL || jr->tmp == NULL) {
		tl_err_set(err, "out of memory");
		tl_jsonl_reader_close(jr);
		return NULL;
	}
	if (open_next(jr, err) < 0) {
		tl_jsonl_reader_close(jr);
		return NULL;
	}
	return jr;
}

void
tl_jsonl_reader_close(struct tl_jsonl_reader *jr)
{
	if (jr == NULL)
		return;
	close_cur(jr);
	tl_json_parser_free(jr->ps);
	tl_rec_free(jr->hdr);
	tl_rec_free(jr->tmp);
	free(jr->buf);
	free(jr);
}

const char *
tl_jsonl_reader_where(struct tl_jsonl_reader *jr)
{
	snprintf(jr->where, sizeof jr->where, "%s:%llu", jr->name, jr->line);
	return jr->where;
}

const struct tl_rec *
tl_jsonl_reader_header(const struct tl_jsonl_reader *jr)
{
	return jr->have_hdr ? jr->hdr : NULL;
}

/* Reads one line (without its newline) into jr->buf.  1: a line (*len set),
 * 0: end of this file, TL_STOP: read error, TL_SKIP: line over MAX_LINE
 * (skipped), TL_NOMEM. */
static int
read_line(struct tl_jsonl_reader *jr, size_t *len, struct tl_err *err)
{
	size_t n = 0;
	int c, over = 0;

	while ((c = getc_unlocked(jr->f)) != EOF && c != '\n') {
		if (over)
			continue;
		if (n + 1 >= jr->cap) {
			size_t nc = jr->cap ? 2 * jr->cap : 4096;
			char *nb;

			if (nc > MAX_LINE) {
				over = 1;
				continue;
			}
			if ((nb = realloc(jr->buf, nc)) == NULL) {
				tl_err_set(err, "out of memory");
				return TL_NOMEM;
			}
			jr->buf = nb;
			jr->cap = nc;
		}
		jr->buf[n++] = (char)c;
	}
	if (ferror(jr->f)) {
		tl_err_set(err, "%s: %s", jr->name, strerror(errno));
		return TL_STOP;
	}
	if (c == EOF && n == 0 && !over)
		return 0;
	jr->line++;
	if (over) {
		tl_err_set(err, "line longer than %zu bytes", MAX_LINE);
		return TL_SKIP;
	}
	*len = n;
	return 1;
}

static int
blank(const char *s, size_t n)
{
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
		n--;
	return n == 0;
}

/* A header line: the first is kept as it is, later ones merged into it.
 * 0, or TL_STOP with err. */
static int
take_header(struct tl_jsonl_reader *jr, msgpack_object *o, struct tl_err *err)
{
	const msgpack_object *v = tl_obj_get(o, "tl");

	if (v->type != MSGPACK_OBJECT_POSITIVE_INTEGER || v->via.u64 != TL_STREAM_VERSION) {
		tl_err_set(err, "%s:%llu: unsupported stream version", jr->name, jr->line);
		return TL_STOP;
	}
	if (tl_obj_get(o, "end") != NULL)
		return 0; /* a trailer */
	if (tl_recjson_from_obj(jr->ps, o, jr->have_hdr ? jr->tmp : jr->hdr, 0, err) < 0) {
		tl_err_prefix(err, "%s:%llu: header", jr->name, jr->line);
		return TL_STOP;
	}
	if (jr->have_hdr && tl_header_merge(jr->hdr, jr->tmp, err) < 0) {
		tl_err_prefix(err, "%s:%llu", jr->name, jr->line);
		return TL_STOP;
	}
	jr->have_hdr = 1;
	return 0;
}

int
tl_jsonl_reader_next(struct tl_jsonl_reader *jr, struct tl_rec *rec, struct tl_err *err)
{
	const msgpack_object *v;
	msgpack_object o;
	size_t len = 0;
	int rc;

	for (;;) {
		if (jr->f == NULL) {
			if (jr->next >= jr->npaths)
				return 0;
			if (open_next(jr, err) < 0)
				return TL_STOP;
		}
		if ((rc = read_line(jr, &len, err)) == 0) {
			close_cur(jr);
			continue;
		}
		if (rc < 0)
			return rc;
		if (blank(jr->buf, len))
			continue;
		if (tl_json_parse_object(jr->ps, jr->buf, len, &o, err) < 0)
			return TL_SKIP;
		if (tl_obj_get(&o, "tl") != NULL) {
			if ((rc = take_header(jr, &o, err)) < 0)
				return rc;
			continue;
		}
		if (tl_recjson_from_obj(jr->ps, &o, rec, 1, err) < 0)
			return TL_SKIP;
		v = tl_rec_get(rec, "id");
		if (v == NULL || v->type != MSGPACK_OBJECT_STR) {
			tl_err_set(err, "a record needs a string \"id\"");
			return TL_SKIP;
		}
		return 1;
	}
}
