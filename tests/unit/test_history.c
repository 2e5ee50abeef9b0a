/*
 * test_history.c - lib/report/history in a temporary folder: appending to
 * a history file (created, kept, a missing final newline supplied, a path
 * in a missing folder refused with the old file left), and --compare on two
 * small evaluations written here: the text byte for byte (model, dataset,
 * headline metrics, per class, records flipped both ways), an evaluation
 * taken from a history file's last line (no per-record list), and the files
 * it refuses.
 *
 * Functions used: tl_history_append, tl_history_compare (only those: the
 * rest of history.c and html.c may move).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "report/history.h"
#include "scratch.h"
#include "t.h"

static void
test_append(void)
{
	static const struct {
		const char *name;
		const char *old; /* NULL: no file */
		const char *line, *want;
	} c[] = {
		{ "append: creates the file", NULL, "{\"a\":1}\n", "{\"a\":1}\n" },
		{ "append: after the old lines", "{\"a\":1}\n", "{\"b\":2}\n", "{\"a\":1}\n{\"b\":2}\n" },
		{ "append: a missing newline supplied", "{\"a\":1}", "{\"b\":2}\n", "{\"a\":1}\n{\"b\":2}\n" },
		{ "append: to an empty file", "", "{\"c\":3}\n", "{\"c\":3}\n" },
	};

	for (size_t k = 0; k < sizeof c / sizeof c[0]; k++) {
		struct tl_err err;
		char *got;

		remove(at("h.jsonl"));
		if (c[k].old)
			spit("h.jsonl", c[k].old);
		T_EQ_INT(c[k].name, tl_history_append(at("h.jsonl"), c[k].line, strlen(c[k].line), &err), 0);
		got = slurp(at("h.jsonl"), NULL);
		T_EQ_STR(c[k].name, got, c[k].want);
		g_free(got);
	}
	{
		struct tl_err err;
		char want[4400];

		snprintf(want, sizeof want, "%s: No such file or directory", at("no/h.jsonl"));
		T_EQ_INT("append: missing folder", tl_history_append(at("no/h.jsonl"), "{}\n", 3, &err), -1);
		T_EQ_STR("append: missing folder message", err.msg, want);
	}
	remove(at("h.jsonl"));
}

/* Two evaluations of three classes and four records: r1 right -> wrong,
 * r2 wrong -> right, r3 right in both, r4 only in A, r5 only in B. */
static const char eval_a[] =
	"{\"tl_report\":1,\"kind\":\"evaluation\",\"date\":\"2026-01-01\",\"model\":\"m1\","
	"\"dataset_sha256\":\"0123456789abcdef0123\","
	"\"metrics\":{\"accuracy\":{\"value\":0.5},\"macro_f1\":{\"value\":0.4},"
	"\"log_loss\":{\"value\":0.9}},"
	"\"per_class\":{\"cat\":{\"recall\":0.5,\"f1\":0.5,\"support\":2},"
	"\"dog\":{\"recall\":1,\"f1\":0.6667,\"support\":1}},"
	"\"records\":[{\"id\":\"r1\",\"label\":\"cat\",\"pred\":\"cat\",\"conf\":0.9},"
	"{\"id\":\"r2\",\"label\":\"dog\",\"pred\":\"cat\",\"conf\":0.6},"
	"{\"id\":\"r3\",\"label\":\"cat\",\"pred\":\"cat\",\"conf\":0.8},"
	"{\"id\":\"r4\",\"label\":\"dog\",\"pred\":\"dog\",\"conf\":0.7}]}\n";

static const char eval_b[] =
	"{\"tl_report\":1,\"kind\":\"evaluation\",\"date\":\"2026-02-01\",\"model\":\"m2\","
	"\"dataset_sha256\":\"0123456789abcdef0123\","
	"\"metrics\":{\"accuracy\":{\"value\":0.75},\"macro_f1\":{\"value\":0.7},"
	"\"auroc\":{\"value\":0.8}},"
	"\"per_class\":{\"cat\":{\"recall\":0.75,\"f1\":0.8,\"support\":2},"
	"\"bird\":{\"recall\":0,\"f1\":0,\"support\":1}},"
	"\"records\":[{\"id\":\"r1\",\"label\":\"cat\",\"pred\":\"dog\",\"conf\":0.55},"
	"{\"id\":\"r2\",\"label\":\"dog\",\"pred\":\"dog\",\"conf\":0.75},"
	"{\"id\":\"r3\",\"label\":\"cat\",\"pred\":\"cat\"},"
	"{\"id\":\"r5\",\"label\":\"bird\",\"pred\":\"cat\",\"conf\":0.5}]}\n";

/* A history file: two entries without records; the last one counts. */
static const char history[] =
	"{\"tl_report\":1,\"kind\":\"evaluation\",\"date\":\"2025-12-01\",\"model\":\"m0\","
	"\"dataset_sha256\":\"ffff\",\"metrics\":{\"accuracy\":{\"value\":0.1}}}\n"
	"{\"tl_report\":1,\"kind\":\"evaluation\",\"date\":\"2025-12-02\",\"model\":\"m1\","
	"\"dataset_sha256\":\"fedcba9876543210fedc\",\"metrics\":{\"accuracy\":{\"value\":0.25}}}\n\n";

static const char compare_ab[] =
	"A         DIR/a.json (2026-01-01)\n"
	"B         DIR/b.json (2026-02-01)\n"
	"model     m1 -> m2\n"
	"dataset   same (0123456789abcdef)\n"
	"\n"
	"metric                       A         B    change\n"
	"accuracy                0.5000    0.7500   +0.2500\n"
	"macro_f1                0.4000    0.7000   +0.3000\n"
	"log_loss                0.9000         -         -\n"
	"auroc                        -    0.8000         -\n"
	"\n"
	"class    recall A  recall B    change      f1 A      f1 B    change support A support B\n"
	"cat        0.5000    0.7500   +0.2500    0.5000    0.8000   +0.3000         2         2\n"
	"dog        1.0000         -         -    0.6667         -         -         1         0\n"
	"bird            -    0.0000         -         -    0.0000         -         0         1\n"
	"\n"
	"records: 3 in both, 1 only in A, 1 only in B\n"
	"flipped: 1 right -> wrong, 1 wrong -> right\n"
	"\n"
	"right -> wrong (id: label, pred A -> pred B)\n"
	"  r1: cat, cat -> dog (conf 0.9000 -> 0.5500)\n"
	"\n"
	"wrong -> right (id: label, pred A -> pred B)\n"
	"  r2: dog, cat -> dog (conf 0.6000 -> 0.7500)\n";

static const char compare_ha[] =
	"A         DIR/h.jsonl (2025-12-02)\n"
	"B         DIR/a.json (2026-01-01)\n"
	"model     m1 (same)\n"
	"dataset   different (fedcba9876543210 -> 0123456789abcdef)\n"
	"\n"
	"metric                       A         B    change\n"
	"accuracy                0.2500    0.5000   +0.2500\n"
	"macro_f1                     -    0.4000         -\n"
	"log_loss                     -    0.9000         -\n"
	"\n"
	"records: A lacks the per-record list (a history entry): no flips shown\n";

/* want with every "DIR" replaced by scratch_dir. */
static char *
expand(const char *want)
{
	char *out = malloc(strlen(want) * 2 + 16 * strlen(scratch_dir) + 1), *o = out;

	for (const char *p = want; *p;) {
		if (strncmp(p, "DIR", 3) == 0) {
			o += sprintf(o, "%s", scratch_dir);
			p += 3;
		} else {
			*o++ = *p++;
		}
	}
	*o = '\0';
	return out;
}

static void
test_compare(void)
{
	static const struct {
		const char *name, *a, *b;
		int rc;
		const char *want; /* the text, or the message (DIR: the folder) */
	} c[] = {
		{ "compare: two evaluations", "a.json", "b.json", 0, compare_ab },
		{ "compare: a history file's last line", "h.jsonl", "a.json", 0, compare_ha },
		{ "compare: a missing file", "a.json", "none.json", -1,
		  "DIR/none.json: No such file or directory" },
		{ "compare: not JSON", "bad.json", "a.json", -1, "DIR/bad.json: not JSON: " },
		{ "compare: not an evaluation", "other.json", "a.json", -1,
		  "DIR/other.json: not an evaluation of tl-report --json or --history" },
		{ "compare: another kind", "kind.json", "a.json", -1,
		  "DIR/kind.json: not an evaluation of tl-report --json or --history" },
	};

	spit("a.json", eval_a);
	spit("b.json", eval_b);
	spit("h.jsonl", history);
	spit("bad.json", "{\"tl_report\":");
	spit("other.json", "{\"accuracy\":1}\n");
	spit("kind.json", "{\"tl_report\":1,\"kind\":\"coverage\",\"metrics\":{}}\n");
	for (size_t k = 0; k < sizeof c / sizeof c[0]; k++) {
		struct tl_err err = { "" };
		char *got = NULL, *want = expand(c[k].want);
		size_t len = 0;
		FILE *m = open_memstream(&got, &len);
		int rc = tl_history_compare(m, at(c[k].a), at(c[k].b), &err);

		fclose(m);
		T_EQ_INT(c[k].name, rc, c[k].rc);
		if (rc == 0) {
			T_EQ_STR(c[k].name, got, want);
		} else {
			T_OK(c[k].name, strncmp(err.msg, want, strlen(want)) == 0);
			if (strncmp(err.msg, want, strlen(want)) != 0)
				printf("  got: %s\n", err.msg);
		}
		free(got);
		free(want);
	}
	static const char *const made[] = { "a.json", "b.json", "h.jsonl", "bad.json",
	                                     "other.json", "kind.json" };
	for (size_t i = 0; i < sizeof made / sizeof made[0]; i++)
		remove(at(made[i]));
}

int
main(void)
{
	if (scratch_open("test_history") != 0)
		return 1;
	test_append();
	test_compare();
	if (scratch_close(0) != 0)
		T_OK("test_history: the folder holds only what the tests made", 0);
	T_DONE();
}
