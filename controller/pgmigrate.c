/* pgmigrate.c - apply the compiled-in migrations of specs/postgres/.
 * Each migration runs in its own transaction together with the row that
 * records it in rhone_schema_version, so a failure leaves the schema at
 * the previous version and a re-run picks up where it stopped. */
#include "pgmigrate.h"

#include <libpq-fe.h>
#include <stdlib.h>
#include <string.h>

#include "options.h"
#include "pgsource.h"

struct pgm_file {
	int version;
	const char *name;
	const char *sql;
};

static const struct pgm_file pgm_files[] = {
#include "migrations.inc"
};

#define PGM_NFILES (sizeof(pgm_files) / sizeof(pgm_files[0]))

/* Serialises migrators started at the same time (two replicas rolling
 * out together): "rhone" in ASCII, an arbitrary but fixed key. */
#define PGM_LOCK_KEY "1919446638"

static const char pgm_version_table[] =
	"CREATE TABLE IF NOT EXISTS rhone_schema_version ("
	" version integer PRIMARY KEY,"
	" name text NOT NULL,"
	" applied_at timestamptz NOT NULL DEFAULT now())";

int
pgmigrate_latest(void)
{
	return pgm_files[PGM_NFILES - 1].version;
}

/* Run one statement whose result is not needed; -1 after printing the
 * server's message. */
static int
pgm_exec(PGconn *conn, const char *sql, const char *what, FILE *err)
{
	PGresult *res = PQexec(conn, sql);
	ExecStatusType st = PQresultStatus(res);
	int ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;

	if (!ok)
		fprintf(err, "migrate: %s: %s", what, PQerrorMessage(conn));
	PQclear(res);
	return ok ? 0 : -1;
}

/* 1 when version is recorded, 0 when not, -1 on error. */
static int
pgm_applied(PGconn *conn, int version, FILE *err)
{
	char v[16];
	const char *params[1] = { v };
	PGresult *res;
	int rc;

	snprintf(v, sizeof(v), "%d", version);
	res = PQexecParams(conn, "SELECT 1 FROM rhone_schema_version "
			   "WHERE version = $1", 1, NULL, params, NULL, NULL,
			   0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		fprintf(err, "migrate: reading rhone_schema_version: %s",
			PQerrorMessage(conn));
		rc = -1;
	} else {
		rc = PQntuples(res) > 0;
	}
	PQclear(res);
	return rc;
}

static int
pgm_record(PGconn *conn, const struct pgm_file *f, FILE *err)
{
	char v[16];
	const char *params[2] = { v, f->name };
	PGresult *res;
	int ok;

	snprintf(v, sizeof(v), "%d", f->version);
	res = PQexecParams(conn, "INSERT INTO rhone_schema_version "
			   "(version, name) VALUES ($1, $2)", 2, NULL, params,
			   NULL, NULL, 0);
	ok = PQresultStatus(res) == PGRES_COMMAND_OK;
	if (!ok)
		fprintf(err, "migrate: recording %s: %s", f->name,
			PQerrorMessage(conn));
	PQclear(res);
	return ok ? 0 : -1;
}

/* 1 when applied now, 0 when it already was, -1 on error (rolled
 * back). */
static int
pgm_apply_one(PGconn *conn, const struct pgm_file *f, FILE *err)
{
	int done;

	if (pgm_exec(conn, "BEGIN", "BEGIN", err) < 0)
		return -1;
	done = pgm_applied(conn, f->version, err);
	if (done == 0 && (pgm_exec(conn, f->sql, f->name, err) < 0 ||
			  pgm_record(conn, f, err) < 0))
		done = -1;
	if (done != 0) {
		pgm_exec(conn, "ROLLBACK", "ROLLBACK", err);
		return done < 0 ? -1 : 0;
	}
	return pgm_exec(conn, "COMMIT", f->name, err) < 0 ? -1 : 1;
}

static int
pgm_run(PGconn *conn, FILE *out, FILE *err)
{
	size_t i;
	int n = 0, rc;

	if (pgm_exec(conn, "SET client_min_messages = warning", "setup",
		     err) < 0 ||
	    pgm_exec(conn, "SELECT pg_advisory_lock(" PGM_LOCK_KEY ")",
		     "taking the migration lock", err) < 0 ||
	    pgm_exec(conn, pgm_version_table, "rhone_schema_version",
		     err) < 0)
		return -1;
	for (i = 0; i < PGM_NFILES; i++) {
		rc = pgm_apply_one(conn, &pgm_files[i], err);
		if (rc < 0)
			return -1;
		if (rc > 0)
			fprintf(out, "applied %s\n", pgm_files[i].name);
		n += rc;
	}
	fprintf(out, "schema at version %d (%d migration%s applied)\n",
		pgmigrate_latest(), n, n == 1 ? "" : "s");
	return 0;
}

int
pgmigrate_apply(const char *url, FILE *out, FILE *err)
{
	PGconn *conn = PQconnectdb(url);
	int rc;

	if (PQstatus(conn) != CONNECTION_OK) {
		fprintf(err, "migrate: cannot connect: %s",
			PQerrorMessage(conn));
		PQfinish(conn);
		return -1;
	}
	rc = pgm_run(conn, out, err);
	PQfinish(conn);
	return rc;
}

int
pgmigrate_main(int argc, char **argv)
{
	struct options o;
	int rc = options_parse_cmd(&o, "migrate", argc, argv, stderr, NULL,
				   NULL);

	if (rc != 0) {
		options_free(&o);
		return rc < 0 ? 2 : 0;
	}
	if (!pgsource_is_url(o.source)) {
		fprintf(stderr, "usage: rhone-controller migrate --source "
			"postgres://...\n");
		options_free(&o);
		return 2;
	}
	rc = pgmigrate_apply(o.source, stdout, stderr) == 0 ? 0 : 1;
	options_free(&o);
	return rc;
}
