/*
 * test_jsonl.c - the JSON Lines reader (lib/stream/jsonl.c): what each
 * line makes tl_jsonl_reader_next return (a record, TL_SKIP for a bad line,
 * TL_STOP for a broken input, 0 at the end), headers merged and trailers
 * dropped across files, and "file:line" for messages.
 */
#include <stdlib.h>

#include "stream/jsonl.h"
#include "scratch.h"
#include "t.h"

/* scratch_dir/rel holding text; its path into path. */
static void
put_file(char path[4200], const char *rel, const char *text)
{
	if (spit(rel, text) != 0)
		abort();
	snprintf(path, 4200, "%s", at(rel));
}

int
main(void)
{
	static const struct {
		int rc;
		const char *where;
	} want[] = {
		{ 1, ":2" },       /* {"id":"a"} after the header */
		{ TL_SKIP, ":4" }, /* not JSON (line 3 is blank) */
		{ TL_SKIP, ":5" }, /* no string id */
		{ TL_SKIP, ":6" }, /* a bin summary */
		{ 1, ":2" },       /* second file, after its trailer line */
		{ 0, NULL },
	};
	char a[4200], b[4200], c[4200], name[64], *paths[2];
	struct tl_rec *rec = tl_rec_new();
	struct tl_jsonl_reader *jr;
	struct tl_err err;
	int rc;

	if (scratch_open("test_jsonl") != 0)
		return 1;
	put_file(a, "a.jsonl", "{\"tl\":1,\"producer\":\"x\"}\n{\"id\":\"a\",\"n\":1}\n \t\n{\"id\":\n"
	                       "{\"id\":7}\n{\"id\":\"s\",\"img\":{\"bin\":5}}\n");
	put_file(b, "b.jsonl", "{\"tl\":1,\"end\":3}\n{\"id\":\"b\"}\n{\"tl\":1,\"classes\":[\"x\"]}\n");
	put_file(c, "c.jsonl", "{\"id\":\"c\"}\n{\"tl\":2}\n");
	paths[0] = a;
	paths[1] = b;
	jr = tl_jsonl_reader_open(paths, 2, &err);
	T_OK("jsonl open", jr != NULL);
	for (size_t i = 0; jr != NULL && i < sizeof want / sizeof want[0]; i++) {
		rc = tl_jsonl_reader_next(jr, rec, &err);
		snprintf(name, sizeof name, "jsonl line %zu returns %d", i, want[i].rc);
		T_EQ_INT(name, rc, want[i].rc);
		if (want[i].where != NULL) {
			const char *w = tl_jsonl_reader_where(jr);
			snprintf(name, sizeof name, "jsonl line %zu where", i);
			T_OK(name, strlen(w) > 3 && strcmp(w + strlen(w) - strlen(want[i].where),
			                                   want[i].where) == 0);
		}
	}
	T_OK("jsonl last record", tl_rec_str(rec, "id") && strcmp(tl_rec_str(rec, "id"), "b") == 0);
	T_OK("jsonl headers merged", jr && tl_jsonl_reader_header(jr) != NULL &&
	     tl_rec_get(tl_jsonl_reader_header(jr), "classes") != NULL &&
	     tl_rec_get(tl_jsonl_reader_header(jr), "producer") != NULL);
	tl_jsonl_reader_close(jr);

	paths[0] = c;
	jr = tl_jsonl_reader_open(paths, 1, &err);
	T_EQ_INT("jsonl first record", jr ? tl_jsonl_reader_next(jr, rec, &err) : -9, 1);
	T_EQ_INT("jsonl bad version stops", jr ? tl_jsonl_reader_next(jr, rec, &err) : -9, TL_STOP);
	T_OK("jsonl bad version says so", strstr(err.msg, "unsupported stream version") != NULL);
	tl_jsonl_reader_close(jr);

	paths[0] = "/nonexistent/x.jsonl";
	T_OK("jsonl missing file", tl_jsonl_reader_open(paths, 1, &err) == NULL &&
	     strstr(err.msg, "/nonexistent/x.jsonl") != NULL);
	scratch_close(1);
	tl_rec_free(rec);
	T_DONE();
}
