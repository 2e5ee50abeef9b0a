/*
 * bulk.c - the bulk-identification database (bulk.h) on libsqlite3: WAL
 * journal, prepared statements made once per handle, one transaction per
 * chunk.  The schema below is the one tl-bulk(1) documents; a change to it
 * is a new TL_BULK_SCHEMA (and an upgrade step in open_schema).
 *
 * Not here: anything that prints or decides what to classify.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "bulk/bulk.h"
#include "core/clock.h"

static const char schema[] =
	"CREATE TABLE runs ("
	" run INTEGER PRIMARY KEY,"
	" started TEXT NOT NULL,"
	" ended TEXT,"
	" incoming TEXT NOT NULL,"
	" model TEXT, model_sha256 TEXT,"
	" listed INTEGER NOT NULL DEFAULT 0, read INTEGER NOT NULL DEFAULT 0,"
	" classified INTEGER NOT NULL DEFAULT 0, unknown INTEGER NOT NULL DEFAULT 0,"
	" bad INTEGER NOT NULL DEFAULT 0,"
	" status INTEGER);"
	"CREATE TABLE chunks ("
	" run INTEGER NOT NULL REFERENCES runs,"
	" chunk INTEGER NOT NULL,"
	" time TEXT NOT NULL,"
	" files INTEGER NOT NULL,"
	" verdicts INTEGER NOT NULL,"
	" PRIMARY KEY (run, chunk)) WITHOUT ROWID;"
	"CREATE TABLE files ("
	" src TEXT PRIMARY KEY,"
	" size INTEGER NOT NULL,"
	" mtime INTEGER NOT NULL,"
	" sha256 TEXT NOT NULL,"
	" error TEXT,"
	" run INTEGER NOT NULL) WITHOUT ROWID;"
	"CREATE TABLE verdicts ("
	" sha256 TEXT PRIMARY KEY,"
	" id TEXT NOT NULL,"
	" src TEXT NOT NULL,"
	" model TEXT NOT NULL,"
	" model_sha256 TEXT NOT NULL,"
	" pred TEXT NOT NULL,"
	" conf REAL,"
	" ood REAL,"
	" reject TEXT,"
	" time TEXT NOT NULL,"
	" run INTEGER NOT NULL) WITHOUT ROWID;"
	"CREATE INDEX verdicts_pred ON verdicts (pred, conf);"
	"CREATE TABLE reviews ("
	" sha256 TEXT PRIMARY KEY,"
	" label TEXT NOT NULL,"
	" src TEXT,"
	" time TEXT NOT NULL) WITHOUT ROWID;";

enum q {
	Q_KNOWN, Q_HAS, Q_FILE, Q_VERDICT, Q_CHUNK, Q_RUNCOUNT, Q_REVIEW, Q_HASV,
	Q_SELECT, Q_LINES, Q_ACC, Q_N
};

static const char *const qtext[Q_N] = {
	[Q_KNOWN] = "SELECT 1 FROM files WHERE src = ?1 AND size = ?2 AND mtime = ?3",
	[Q_HAS] = "SELECT 1 FROM verdicts WHERE sha256 = ?1",
	[Q_FILE] = "INSERT OR REPLACE INTO files (src, size, mtime, sha256, error, run)"
	           " VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	[Q_VERDICT] = "INSERT INTO verdicts (sha256, id, src, model, model_sha256, pred, conf,"
	              " ood, reject, time, run) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
	[Q_CHUNK] = "INSERT INTO chunks (run, chunk, time, files, verdicts) VALUES (?1, ?2, ?3, ?4, ?5)",
	[Q_RUNCOUNT] = "UPDATE runs SET read = read + ?2, classified = classified + ?3 WHERE run = ?1",
	[Q_REVIEW] = "INSERT OR REPLACE INTO reviews (sha256, label, src, time) VALUES (?1, ?2, ?3, ?4)",
	[Q_HASV] = "SELECT 1 FROM verdicts WHERE sha256 = ?1",
	[Q_SELECT] = "SELECT sha256, id, src, model, model_sha256, pred, conf, ood, reject FROM verdicts"
	             " WHERE (?1 IS NULL OR pred = ?1) AND (?2 IS NULL OR conf >= ?2)"
	             " AND (?3 IS NULL OR conf <= ?3)"
	             " AND (?4 IS NULL OR (?4 = '' AND reject IS NULL) OR reject = ?4)"
	             " ORDER BY conf IS NOT NULL, conf, id LIMIT ?5",
	[Q_LINES] = "SELECT json_object('time', time, 'id', id, 'sha256', sha256, 'model', model,"
	            " 'model_sha256', model_sha256, 'pred', pred, 'conf', conf, 'ood', ood,"
	            " 'reject', reject) FROM verdicts ORDER BY time, run, id",
	[Q_ACC] = "SELECT v.model, substr(v.time, 1, 10), count(*), sum(v.pred != 'unknown'),"
	          " sum(v.pred = r.label) FROM reviews r JOIN verdicts v USING (sha256)"
	          " GROUP BY 1, 2 ORDER BY 1, 2",
};

struct tl_bulk {
	sqlite3 *db;
	char *path;
	sqlite3_stmt *q[Q_N];
	sqlite3_stmt *cur; /* the statement tl_bulk_next, _line or _accuracy_next steps */
};

/* err from the database's last failure; -1. */
static int
db_err(struct tl_bulk *b, struct tl_err *err)
{
	int code = sqlite3_extended_errcode(b->db);

	if ((code & 0xff) == SQLITE_NOTADB || (code & 0xff) == SQLITE_CORRUPT)
		return tl_err_set(err, "%s: not a tl-bulk database, or a damaged one (%s)", b->path,
		                  sqlite3_errmsg(b->db));
	return tl_err_set(err, "%s: %s", b->path, sqlite3_errmsg(b->db));
}

static int
exec(struct tl_bulk *b, const char *sql, struct tl_err *err)
{
	return sqlite3_exec(b->db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : db_err(b, err);
}

/* The prepared statement for q, reset and unbound; NULL (err). */
static sqlite3_stmt *
stmt(struct tl_bulk *b, enum q q, struct tl_err *err)
{
	if (b->q[q] == NULL) {
		if (sqlite3_prepare_v3(b->db, qtext[q], -1, SQLITE_PREPARE_PERSISTENT, &b->q[q],
		                       NULL) != SQLITE_OK) {
			db_err(b, err);
			return NULL;
		}
	} else {
		sqlite3_reset(b->q[q]);
		sqlite3_clear_bindings(b->q[q]);
	}
	return b->q[q];
}

/* Steps s to its end (an INSERT, UPDATE); 0 or -1 (err). */
static int
done(struct tl_bulk *b, sqlite3_stmt *s, struct tl_err *err)
{
	int r = sqlite3_step(s);

	if (r != SQLITE_DONE && r != SQLITE_ROW) {
		db_err(b, err);
		sqlite3_reset(s);
		return -1;
	}
	sqlite3_reset(s);
	return 0;
}

/* Is there a row?  1, 0, -1 (err). */
static int
exists(struct tl_bulk *b, sqlite3_stmt *s, struct tl_err *err)
{
	int r = sqlite3_step(s);

	sqlite3_reset(s);
	if (r == SQLITE_ROW)
		return 1;
	if (r == SQLITE_DONE)
		return 0;
	return db_err(b, err);
}

static void
text(sqlite3_stmt *s, int i, const char *v)
{
	if (v != NULL)
		sqlite3_bind_text(s, i, v, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(s, i);
}

static void
real(sqlite3_stmt *s, int i, double v)
{
	if (isnan(v))
		sqlite3_bind_null(s, i);
	else
		sqlite3_bind_double(s, i, v);
}

/* Now, UTC, as YYYY-MM-DDTHH:MM:SSZ into buf[32]. */
static int
now(char buf[32], struct tl_err *err)
{
	time_t t;
	struct tm tm;

	if (tl_clock_now(&t, err) < 0)
		return -1;
	gmtime_r(&t, &tm);
	strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return 0;
}

int
tl_bulk_is_db(const char *path)
{
	char head[16];
	FILE *f = fopen(path, "rb");
	int yes;

	if (f == NULL)
		return 0;
	yes = fread(head, 1, 16, f) == 16 && memcmp(head, "SQLite format 3", 16) == 0;
	fclose(f);
	return yes;
}

/* Reads (or, for a new database, writes) the schema version. */
static int
open_schema(struct tl_bulk *b, int readonly, struct tl_err *err)
{
	sqlite3_stmt *s;
	int version = -1, tables = -1;

	if (sqlite3_prepare_v2(b->db, "PRAGMA user_version", -1, &s, NULL) != SQLITE_OK)
		return db_err(b, err);
	if (sqlite3_step(s) == SQLITE_ROW)
		version = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	if (version < 0)
		return db_err(b, err);
	if (version > TL_BULK_SCHEMA)
		return tl_err_set(err, "%s: schema version %d is newer than this tl-bulk's (%d): "
		                  "use a newer tl", b->path, version, TL_BULK_SCHEMA);
	if (version == TL_BULK_SCHEMA)
		return 0;
	if (sqlite3_prepare_v2(b->db, "SELECT count(*) FROM sqlite_schema", -1, &s, NULL) != SQLITE_OK)
		return db_err(b, err);
	if (sqlite3_step(s) == SQLITE_ROW)
		tables = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	if (tables != 0)
		return tl_err_set(err, "%s: not a tl-bulk database (schema version %d)", b->path,
		                  version);
	if (readonly)
		return tl_err_set(err, "%s: an empty database, not a tl-bulk one", b->path);
	if (exec(b, "BEGIN IMMEDIATE", err) < 0)
		return -1;
	if (exec(b, schema, err) < 0 || exec(b, "PRAGMA user_version = 1", err) < 0 ||
	    exec(b, "COMMIT", err) < 0) {
		sqlite3_exec(b->db, "ROLLBACK", NULL, NULL, NULL);
		return -1;
	}
	return 0;
}

struct tl_bulk *
tl_bulk_open(const char *path, int readonly, struct tl_err *err)
{
	struct tl_bulk *b = calloc(1, sizeof *b);
	int flags = readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;

	if (b == NULL || (b->path = strdup(path)) == NULL) {
		free(b);
		tl_err_set(err, "out of memory");
		return NULL;
	}
	if (sqlite3_open_v2(path, &b->db, flags, NULL) != SQLITE_OK) {
		if (b->db == NULL)
			tl_err_set(err, "%s: out of memory", path);
		else
			db_err(b, err);
		tl_bulk_close(b);
		return NULL;
	}
	sqlite3_extended_result_codes(b->db, 1);
	sqlite3_busy_timeout(b->db, TL_BULK_BUSY_MS);
	/* WAL: readers never wait for a run; NORMAL: a commit survives a crash of
	 * the process, the last ones may be lost in a power cut, and then they are
	 * classified again, still once */
	if ((!readonly && (exec(b, "PRAGMA journal_mode = WAL", err) < 0 ||
	                   exec(b, "PRAGMA synchronous = NORMAL", err) < 0)) ||
	    open_schema(b, readonly, err) < 0) {
		tl_bulk_close(b);
		return NULL;
	}
	return b;
}

void
tl_bulk_close(struct tl_bulk *b)
{
	if (b == NULL)
		return;
	for (int i = 0; i < Q_N; i++)
		sqlite3_finalize(b->q[i]);
	sqlite3_close(b->db);
	free(b->path);
	free(b);
}

int
tl_bulk_run_start(struct tl_bulk *b, const char *incoming, long long *run, struct tl_err *err)
{
	sqlite3_stmt *s;
	char t[32];

	if (now(t, err) < 0)
		return -1;
	if (sqlite3_prepare_v2(b->db, "INSERT INTO runs (started, incoming) VALUES (?1, ?2)", -1, &s,
	                       NULL) != SQLITE_OK)
		return db_err(b, err);
	text(s, 1, t);
	text(s, 2, incoming);
	if (sqlite3_step(s) != SQLITE_DONE) {
		db_err(b, err);
		sqlite3_finalize(s);
		return -1;
	}
	sqlite3_finalize(s);
	*run = sqlite3_last_insert_rowid(b->db);
	return 0;
}

int
tl_bulk_run_end(struct tl_bulk *b, long long run, const char *model, const char *model_sha256,
                const struct tl_bulk_counts *n, int status, struct tl_err *err)
{
	sqlite3_stmt *s;
	char t[32];
	int r;

	if (now(t, err) < 0)
		return -1;
	if (sqlite3_prepare_v2(b->db, "UPDATE runs SET ended = ?2, model = ?3, model_sha256 = ?4,"
	                       " listed = ?5, read = ?6, classified = ?7, unknown = ?8, bad = ?9,"
	                       " status = ?10 WHERE run = ?1", -1, &s, NULL) != SQLITE_OK)
		return db_err(b, err);
	sqlite3_bind_int64(s, 1, run);
	text(s, 2, t);
	text(s, 3, model);
	text(s, 4, model_sha256);
	sqlite3_bind_int64(s, 5, n->listed);
	sqlite3_bind_int64(s, 6, n->read);
	sqlite3_bind_int64(s, 7, n->classified);
	sqlite3_bind_int64(s, 8, n->unknown);
	sqlite3_bind_int64(s, 9, n->bad);
	sqlite3_bind_int(s, 10, status);
	r = sqlite3_step(s) == SQLITE_DONE ? 0 : db_err(b, err);
	sqlite3_finalize(s);
	return r;
}

int
tl_bulk_known(struct tl_bulk *b, const char *src, long long size, long long mtime,
              struct tl_err *err)
{
	sqlite3_stmt *s = stmt(b, Q_KNOWN, err);

	if (s == NULL)
		return -1;
	text(s, 1, src);
	sqlite3_bind_int64(s, 2, size);
	sqlite3_bind_int64(s, 3, mtime);
	return exists(b, s, err);
}

int
tl_bulk_has(struct tl_bulk *b, const char *sha256, struct tl_err *err)
{
	sqlite3_stmt *s = stmt(b, Q_HAS, err);

	if (s == NULL)
		return -1;
	text(s, 1, sha256);
	return exists(b, s, err);
}

int
tl_bulk_begin(struct tl_bulk *b, struct tl_err *err)
{
	return exec(b, "BEGIN IMMEDIATE", err);
}

int
tl_bulk_commit(struct tl_bulk *b, struct tl_err *err)
{
	if (exec(b, "COMMIT", err) < 0) {
		tl_bulk_rollback(b);
		return -1;
	}
	return 0;
}

void
tl_bulk_rollback(struct tl_bulk *b)
{
	if (!sqlite3_get_autocommit(b->db))
		sqlite3_exec(b->db, "ROLLBACK", NULL, NULL, NULL);
}

int
tl_bulk_put_file(struct tl_bulk *b, long long run, const char *src, long long size,
                 long long mtime, const char *sha256, const char *error, struct tl_err *err)
{
	sqlite3_stmt *s = stmt(b, Q_FILE, err);

	if (s == NULL)
		return -1;
	text(s, 1, src);
	sqlite3_bind_int64(s, 2, size);
	sqlite3_bind_int64(s, 3, mtime);
	text(s, 4, sha256);
	text(s, 5, error);
	sqlite3_bind_int64(s, 6, run);
	return done(b, s, err);
}

int
tl_bulk_put_verdict(struct tl_bulk *b, long long run, const struct tl_bulk_verdict *v,
                    struct tl_err *err)
{
	sqlite3_stmt *s = stmt(b, Q_VERDICT, err);
	char t[32];

	if (s == NULL || now(t, err) < 0)
		return -1;
	text(s, 1, v->sha256);
	text(s, 2, v->id);
	text(s, 3, v->src);
	text(s, 4, v->model);
	text(s, 5, v->model_sha256);
	text(s, 6, v->pred);
	real(s, 7, v->conf);
	real(s, 8, v->ood);
	text(s, 9, v->reject);
	text(s, 10, t);
	sqlite3_bind_int64(s, 11, run);
	return done(b, s, err);
}

int
tl_bulk_put_chunk(struct tl_bulk *b, long long run, int chunk, long long files,
                  long long verdicts, struct tl_err *err)
{
	sqlite3_stmt *s = stmt(b, Q_CHUNK, err);
	char t[32];

	if (s == NULL || now(t, err) < 0)
		return -1;
	sqlite3_bind_int64(s, 1, run);
	sqlite3_bind_int(s, 2, chunk);
	text(s, 3, t);
	sqlite3_bind_int64(s, 4, files);
	sqlite3_bind_int64(s, 5, verdicts);
	if (done(b, s, err) < 0 || (s = stmt(b, Q_RUNCOUNT, err)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, run);
	sqlite3_bind_int64(s, 2, files);
	sqlite3_bind_int64(s, 3, verdicts);
	return done(b, s, err);
}

int
tl_bulk_put_review(struct tl_bulk *b, const char *sha256, const char *label, const char *src,
                   struct tl_err *err)
{
	sqlite3_stmt *s = stmt(b, Q_REVIEW, err);
	char t[32];
	int has;

	if (s == NULL || now(t, err) < 0)
		return -1;
	text(s, 1, sha256);
	text(s, 2, label);
	text(s, 3, src);
	text(s, 4, t);
	if (done(b, s, err) < 0 || (s = stmt(b, Q_HASV, err)) == NULL)
		return -1;
	text(s, 1, sha256);
	has = exists(b, s, err);
	return has;
}

/* Starts q as the statement the _next functions step. */
static int
start(struct tl_bulk *b, enum q q, struct tl_err *err)
{
	if ((b->cur = stmt(b, q, err)) == NULL)
		return -1;
	return 0;
}

/* Steps b->cur: 1 a row, 0 done, -1 (err). */
static int
step(struct tl_bulk *b, struct tl_err *err)
{
	int r;

	if (b->cur == NULL)
		return 0;
	if ((r = sqlite3_step(b->cur)) == SQLITE_ROW)
		return 1;
	sqlite3_reset(b->cur);
	b->cur = NULL;
	return r == SQLITE_DONE ? 0 : db_err(b, err);
}

static const char *
col(sqlite3_stmt *s, int i)
{
	return (const char *)sqlite3_column_text(s, i);
}

static double
colf(sqlite3_stmt *s, int i)
{
	return sqlite3_column_type(s, i) == SQLITE_NULL ? NAN : sqlite3_column_double(s, i);
}

int
tl_bulk_query(struct tl_bulk *b, const struct tl_bulk_select *sel, struct tl_err *err)
{
	sqlite3_stmt *s;

	if (start(b, Q_SELECT, err) < 0)
		return -1;
	s = b->cur;
	text(s, 1, sel->pred);
	real(s, 2, sel->min_conf);
	real(s, 3, sel->max_conf);
	text(s, 4, sel->reject);
	sqlite3_bind_int64(s, 5, sel->lowest > 0 ? sel->lowest : -1);
	return 0;
}

int
tl_bulk_next(struct tl_bulk *b, struct tl_bulk_verdict *v, struct tl_err *err)
{
	sqlite3_stmt *s = b->cur;
	int r;

	if ((r = step(b, err)) != 1)
		return r;
	*v = (struct tl_bulk_verdict){ .sha256 = col(s, 0), .id = col(s, 1), .src = col(s, 2),
	    .model = col(s, 3), .model_sha256 = col(s, 4), .pred = col(s, 5), .conf = colf(s, 6),
	    .ood = colf(s, 7), .reject = col(s, 8) };
	return 1;
}

int
tl_bulk_lines(struct tl_bulk *b, struct tl_err *err)
{
	return start(b, Q_LINES, err);
}

int
tl_bulk_line(struct tl_bulk *b, const char **line, struct tl_err *err)
{
	sqlite3_stmt *s = b->cur;
	int r;

	if ((r = step(b, err)) != 1)
		return r;
	*line = col(s, 0);
	return 1;
}

int
tl_bulk_accuracy(struct tl_bulk *b, struct tl_err *err)
{
	return start(b, Q_ACC, err);
}

int
tl_bulk_accuracy_next(struct tl_bulk *b, struct tl_bulk_acc *a, struct tl_err *err)
{
	sqlite3_stmt *s = b->cur;
	int r;

	if ((r = step(b, err)) != 1)
		return r;
	*a = (struct tl_bulk_acc){ .model = col(s, 0), .day = col(s, 1),
	    .reviewed = sqlite3_column_int64(s, 2), .accepted = sqlite3_column_int64(s, 3),
	    .correct = sqlite3_column_int64(s, 4) };
	return 1;
}

int
tl_bulk_import_log(struct tl_bulk *b, const char *path, const char *prefix, long long *n,
                   struct tl_err *err)
{
	static const char ins[] =
		"INSERT OR IGNORE INTO verdicts SELECT j ->> '$.sha256', j ->> '$.id',"
		" ?2 || '/' || (j ->> '$.id'), coalesce(j ->> '$.model', ''),"
		" coalesce(j ->> '$.model_sha256', ''), j ->> '$.pred', j ->> '$.conf', j ->> '$.ood',"
		" j ->> '$.reject', coalesce(j ->> '$.time', ''), ?3"
		" FROM (SELECT ?1 AS j) WHERE CASE WHEN json_valid(j) AND json_type(j) = 'object'"
		" THEN j ->> '$.sha256' IS NOT NULL AND j ->> '$.id' IS NOT NULL"
		" AND j ->> '$.pred' IS NOT NULL ELSE 0 END";
	char *label = NULL, *line = NULL;
	sqlite3_stmt *s = NULL;
	size_t cap = 0;
	ssize_t len;
	long long run = 0, before;
	FILE *f;
	int r = -1;

	*n = -1;
	if (asprintf(&label, "import %s", path) < 0)
		return tl_err_set(err, "out of memory");
	if (sqlite3_prepare_v2(b->db, "SELECT 1 FROM runs WHERE incoming = ?1", -1, &s, NULL) != SQLITE_OK) {
		free(label);
		return db_err(b, err);
	}
	text(s, 1, label);
	r = exists(b, s, err);
	sqlite3_finalize(s);
	s = NULL;
	if (r != 0) {
		free(label);
		return r < 0 ? -1 : 0;
	}
	r = -1;
	if ((f = fopen(path, "r")) == NULL) {
		free(label);
		return tl_err_set(err, "%s: cannot read", path);
	}
	if (tl_bulk_begin(b, err) < 0 || tl_bulk_run_start(b, label, &run, err) < 0 ||
	    sqlite3_prepare_v2(b->db, ins, -1, &s, NULL) != SQLITE_OK) {
		if (s == NULL && sqlite3_errcode(b->db) != SQLITE_OK)
			db_err(b, err);
		goto out;
	}
	before = sqlite3_total_changes(b->db);
	while ((len = getline(&line, &cap, f)) >= 0) {
		sqlite3_reset(s);
		sqlite3_bind_text(s, 1, line, (int)len, SQLITE_STATIC);
		text(s, 2, prefix);
		sqlite3_bind_int64(s, 3, run);
		if (sqlite3_step(s) != SQLITE_DONE) {
			db_err(b, err);
			goto out;
		}
	}
	if (ferror(f)) {
		tl_err_set(err, "%s: read error", path);
		goto out;
	}
	*n = sqlite3_total_changes(b->db) - before;
	{
		struct tl_bulk_counts k = { .classified = *n };
		if (tl_bulk_run_end(b, run, NULL, NULL, &k, 0, err) < 0)
			goto out;
	}
	r = tl_bulk_commit(b, err);
out:
	if (r < 0)
		tl_bulk_rollback(b);
	sqlite3_finalize(s);
	fclose(f);
	free(line);
	free(label);
	return r;
}

int
tl_bulk_merge(struct tl_bulk *b, const char *path, long long *verdicts, long long *files,
              struct tl_err *err)
{
	struct tl_bulk *s;
	sqlite3_stmt *a;
	long long before;

	/* opened alone first: its schema version is checked like any database's */
	if ((s = tl_bulk_open(path, 1, err)) == NULL)
		return -1;
	tl_bulk_close(s);
	if (sqlite3_prepare_v2(b->db, "ATTACH ?1 AS shard", -1, &a, NULL) != SQLITE_OK)
		return db_err(b, err);
	text(a, 1, path);
	if (sqlite3_step(a) != SQLITE_DONE) {
		db_err(b, err);
		sqlite3_finalize(a);
		return -1;
	}
	sqlite3_finalize(a);
	if (exec(b, "BEGIN IMMEDIATE", err) < 0)
		goto detach;
	before = sqlite3_total_changes(b->db);
	if (exec(b, "INSERT OR IGNORE INTO verdicts SELECT v.sha256, v.id, v.src, v.model,"
	            " v.model_sha256, v.pred, v.conf, v.ood, v.reject, v.time,"
	            " v.run + (SELECT coalesce(max(run), 0) FROM main.runs) FROM shard.verdicts v",
	         err) < 0)
		goto fail;
	*verdicts = sqlite3_total_changes(b->db) - before;
	before = sqlite3_total_changes(b->db);
	if (exec(b, "INSERT INTO files SELECT f.src, f.size, f.mtime, f.sha256, f.error,"
	            " f.run + (SELECT coalesce(max(run), 0) FROM main.runs) FROM shard.files f"
	            " WHERE true ON CONFLICT (src) DO NOTHING", err) < 0)
		goto fail;
	*files = sqlite3_total_changes(b->db) - before;
	if (exec(b, "INSERT OR IGNORE INTO reviews SELECT * FROM shard.reviews", err) < 0 ||
	    exec(b, "INSERT INTO chunks SELECT c.run + (SELECT coalesce(max(run), 0) FROM main.runs),"
	            " c.chunk, c.time, c.files, c.verdicts FROM shard.chunks c", err) < 0 ||
	    exec(b, "INSERT INTO runs SELECT r.run + (SELECT coalesce(max(run), 0) FROM main.runs),"
	            " r.started, r.ended, r.incoming, r.model, r.model_sha256, r.listed, r.read,"
	            " r.classified, r.unknown, r.bad, r.status FROM shard.runs r ORDER BY r.run",
	         err) < 0 ||
	    exec(b, "COMMIT", err) < 0)
		goto fail;
	return exec(b, "DETACH shard", err);
fail:
	sqlite3_exec(b->db, "ROLLBACK", NULL, NULL, NULL);
detach:
	sqlite3_exec(b->db, "DETACH shard", NULL, NULL, NULL);
	return -1;
}
