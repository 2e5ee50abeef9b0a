/*
 * select.c - record filters, field lists, TSV lines and tallies (select.h).
 * The tally is a GLib hash table of cell texts, sorted only when written
 * (the table's order never reaches the output); no ordering or counting is
 * kept per record beyond that.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "core/hash.h"
#include "stream/recjson.h"
#include "stream/select.h"
#include "stream/stream.h"

void
tl_select_init(struct tl_select *s)
{
	memset(s, 0, sizeof *s);
	s->min_conf = NAN;
	s->max_conf = NAN;
}

static int
str_is(const struct tl_rec *r, const char *key, const char *want)
{
	return want == NULL || tl_obj_is_str(tl_rec_get(r, key), want);
}

int
tl_select_header(const struct tl_select *s, long long head, struct tl_rec *h)
{
	long long n = tl_header_expect(h, TL_HEADER_EXPECT);
	long long t = tl_header_expect(h, TL_HEADER_EXPECT_TRAIN);
	int conf = !isnan(s->min_conf) || !isnan(s->max_conf);

	if (!s->split && !s->label && !s->pred && !conf && head < 0)
		return 0; /* all records: the header as it is */
	if (s->split && strcmp(s->split, "train") == 0 && !s->label && !s->pred && !conf)
		n = t;
	else if (s->split || s->label || s->pred || conf)
		n = t = -1;
	if (head >= 0 && n > head) {
		t = t >= n ? head : -1;
		n = head;
	}
	return tl_header_set_expect(h, TL_HEADER_EXPECT, n) < 0 ||
	       tl_header_set_expect(h, TL_HEADER_EXPECT_TRAIN, t) < 0 ? -1 : 0;
}

int
tl_select_match(const struct tl_select *s, const struct tl_rec *r)
{
	double conf;

	if (!str_is(r, "split", s->split) || !str_is(r, "label", s->label) ||
	    !str_is(r, "pred", s->pred))
		return 0;
	if (isnan(s->min_conf) && isnan(s->max_conf))
		return 1;
	if (tl_rec_f64(r, "conf", &conf) < 0 || isnan(conf))
		return 0;
	return !(conf < s->min_conf) && !(conf > s->max_conf);
}

int
tl_fields_parse(struct tl_fields *f, const char *list, struct tl_err *err)
{
	size_t n = 1;
	char *p;

	memset(f, 0, sizeof *f);
	for (const char *q = list; *q; q++)
		n += *q == ',';
	f->buf = strdup(list);
	f->name = calloc(n, sizeof *f->name);
	if (f->buf == NULL || f->name == NULL) {
		tl_fields_free(f);
		return tl_err_set(err, "out of memory");
	}
	for (p = f->buf;; p++) {
		f->name[f->n++] = p;
		p += strcspn(p, ",");
		if (*p == '\0')
			break;
		*p = '\0';
	}
	for (int i = 0; i < f->n; i++)
		if (f->name[i][0] == '\0') {
			tl_fields_free(f);
			return tl_err_set(err, "empty field name in '%s'", list);
		}
	return 0;
}

void
tl_fields_free(struct tl_fields *f)
{
	free(f->buf);
	free(f->name);
	memset(f, 0, sizeof *f);
}

void
tl_fields_strip(const struct tl_fields *f, struct tl_rec *r)
{
	for (int i = 0; i < f->n; i++)
		tl_rec_del(r, f->name[i]);
}

static void
write_cell(FILE *out, const struct tl_rec *r, const char *key)
{
	const msgpack_object *v = tl_rec_get(r, key);
	const char *s;
	char hex[65];
	uint32_t i;

	if (v == NULL)
		return;
	if (tl_recjson_hex_field(key, v, hex)) {
		fputs(hex, out);
		return;
	}
	if (v->type != MSGPACK_OBJECT_STR) {
		tl_recjson_write_obj(out, v, 0);
		return;
	}
	for (i = 0, s = v->via.str.ptr; i < v->via.str.size; i++) {
		switch (s[i]) {
		case '\\': fputs("\\\\", out); break;
		case '\t': fputs("\\t", out); break;
		case '\n': fputs("\\n", out); break;
		case '\r': fputs("\\r", out); break;
		default: putc_unlocked(s[i], out);
		}
	}
}

void
tl_fields_write_tsv(FILE *out, const struct tl_fields *f, const struct tl_rec *r)
{
	for (int i = 0; i < f->n; i++) {
		if (i > 0)
			putc_unlocked('\t', out);
		write_cell(out, r, f->name[i]);
	}
	putc_unlocked('\n', out);
}

/* ---- tally ------------------------------------------------------------ */

struct entry {
	char *text; /* the cell's TSV text, owned */
	size_t len;
	unsigned long long count;
};

struct tl_tally {
	char *field;
	GHashTable *set; /* struct entry *, key and value, hashed by its text */
};

static guint
entry_hash(gconstpointer p)
{
	const struct entry *e = p;

	return (guint)tl_hash_fnv1a64(e->text, e->len);
}

static gboolean
entry_equal(gconstpointer a, gconstpointer b)
{
	const struct entry *x = a, *y = b;

	return x->len == y->len && memcmp(x->text, y->text, x->len) == 0;
}

static void
entry_free(gpointer p)
{
	struct entry *e = p;

	free(e->text);
	free(e);
}

struct tl_tally *
tl_tally_new(const char *field)
{
	struct tl_tally *t = calloc(1, sizeof *t);

	if (t == NULL)
		return NULL;
	if ((t->field = strdup(field)) == NULL) {
		free(t);
		return NULL;
	}
	t->set = g_hash_table_new_full(entry_hash, entry_equal, entry_free, NULL);
	return t;
}

void
tl_tally_free(struct tl_tally *t)
{
	if (t == NULL)
		return;
	g_hash_table_destroy(t->set);
	free(t->field);
	free(t);
}

int
tl_tally_add(struct tl_tally *t, const struct tl_rec *r, struct tl_err *err)
{
	struct entry key, *e;
	char *text = NULL;
	size_t len = 0;
	FILE *m;

	if ((m = open_memstream(&text, &len)) == NULL)
		return tl_err_set(err, "out of memory"), TL_NOMEM;
	write_cell(m, r, t->field);
	if (fclose(m) != 0) {
		free(text);
		return tl_err_set(err, "out of memory"), TL_NOMEM;
	}
	key.text = text;
	key.len = len;
	if ((e = g_hash_table_lookup(t->set, &key)) != NULL) {
		e->count++;
		free(text);
		return TL_OK;
	}
	if ((e = malloc(sizeof *e)) == NULL) {
		free(text);
		return tl_err_set(err, "out of memory"), TL_NOMEM;
	}
	e->text = text;
	e->len = len;
	e->count = 1;
	g_hash_table_add(t->set, e);
	return TL_OK;
}

static int
by_text(const void *a, const void *b)
{
	const struct entry *x = *(const struct entry *const *)a;
	const struct entry *y = *(const struct entry *const *)b;
	int c = memcmp(x->text, y->text, x->len < y->len ? x->len : y->len);

	if (c != 0)
		return c;
	return (x->len > y->len) - (x->len < y->len);
}

int
tl_tally_write(const struct tl_tally *t, FILE *out, struct tl_err *err)
{
	size_t n = 0, used = g_hash_table_size(t->set);
	const struct entry **v = calloc(used ? used : 1, sizeof *v);
	GHashTableIter it;
	gpointer e;

	if (v == NULL)
		return tl_err_set(err, "out of memory");
	g_hash_table_iter_init(&it, t->set);
	while (g_hash_table_iter_next(&it, &e, NULL))
		v[n++] = e;
	qsort(v, n, sizeof *v, by_text);
	for (size_t i = 0; i < n; i++) {
		fwrite(v[i]->text, 1, v[i]->len, out);
		fprintf(out, "\t%llu\n", v[i]->count);
	}
	free(v);
	return 0;
}
