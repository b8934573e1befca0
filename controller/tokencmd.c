/* tokencmd.c - "rhone-controller token create|list|revoke": the region
 * API's tokens. A new token is 32 random bytes from the kernel, printed
 * once on stdout; the database keeps only its SHA-256 (computed there,
 * by sha256(), the same way the API checks it). A command-line tool:
 * its statements block, since nothing else waits on this process. */
#include "tokencmd.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "pgsource.h"

#define TK_RANDOM_BYTES 32
#define TK_PREFIX "rhone_"

struct tk_args {
	const char *verb;
	const char *source;
	const char *team;
	const char *role;
	const char *name;
	const char *id;
};

static int
tk_usage(FILE *f, int rc)
{
	fprintf(f,
		"usage: rhone-controller token create --source postgres://... "
		"--team TEAM --role ROLE [--name NAME]\n"
		"       rhone-controller token list --source postgres://... "
		"[--team TEAM]\n"
		"       rhone-controller token revoke --source postgres://... "
		"ID\n"
		"  TEAM is a team's id or its name; ROLE is member, admin or "
		"owner.\n"
		"  create prints the new token once; only its SHA-256 is "
		"stored.\n"
		"  --source defaults to $RHONE_SOURCE.\n");
	return rc;
}

/* "--flag VALUE" or "--flag=VALUE"; returns how many words it took. */
static int
tk_flag(char **argv, int argc, int i, const char *flag, const char **out)
{
	size_t n = strlen(flag);

	if (strncmp(argv[i], flag, n) != 0)
		return 0;
	if (argv[i][n] == '=') {
		*out = argv[i] + n + 1;
		return 1;
	}
	if (argv[i][n] != '\0' || i + 1 >= argc)
		return 0;
	*out = argv[i + 1];
	return 2;
}

static int
tk_parse(int argc, char **argv, struct tk_args *a)
{
	int i = 1, used;

	memset(a, 0, sizeof(*a));
	if (argc < 1)
		return -1;
	a->verb = argv[0];
	a->source = getenv("RHONE_SOURCE");
	while (i < argc) {
		if ((used = tk_flag(argv, argc, i, "--source", &a->source)) ||
		    (used = tk_flag(argv, argc, i, "--team", &a->team)) ||
		    (used = tk_flag(argv, argc, i, "--role", &a->role)) ||
		    (used = tk_flag(argv, argc, i, "--name", &a->name))) {
			i += used;
			continue;
		}
		if (argv[i][0] == '-' || a->id != NULL)
			return -1;
		a->id = argv[i++];
	}
	return pgsource_is_url(a->source) ? 0 : -1;
}

/* One parameterized statement; NULL after printing the server's
 * message. */
static PGresult *
tk_exec(PGconn *conn, const char *sql, int n, const char *const *params,
	const char *what)
{
	PGresult *res = PQexecParams(conn, sql, n, NULL, params, NULL, NULL,
				     0);
	ExecStatusType st = PQresultStatus(res);

	if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK)
		return res;
	fprintf(stderr, "token: %s: %s", what, PQerrorMessage(conn));
	PQclear(res);
	return NULL;
}

/* The id of the one team named by its id or its name. */
static int
tk_team(PGconn *conn, const char *team, char id[37])
{
	const char *params[1] = { team };
	PGresult *res = tk_exec(conn, "SELECT id FROM teams "
				"WHERE id::text = $1 OR name = $1", 1, params,
				"finding the team");
	int n;

	if (res == NULL)
		return -1;
	n = PQntuples(res);
	if (n == 1)
		snprintf(id, 37, "%s", PQgetvalue(res, 0, 0));
	else
		fprintf(stderr, "token: %s team named \"%s\"\n",
			n ? "more than one" : "no", team);
	PQclear(res);
	return n == 1 ? 0 : -1;
}

static int
tk_random(char *out, size_t size)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char raw[TK_RANDOM_BYTES];
	size_t i, plen = strlen(TK_PREFIX);

	if (size < plen + 2 * sizeof(raw) + 1 ||
	    getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw)) {
		fprintf(stderr, "token: no random bytes from the kernel\n");
		return -1;
	}
	memcpy(out, TK_PREFIX, plen);
	for (i = 0; i < sizeof(raw); i++) {
		out[plen + 2 * i] = hex[raw[i] >> 4];
		out[plen + 2 * i + 1] = hex[raw[i] & 15];
	}
	out[plen + 2 * sizeof(raw)] = '\0';
	memset(raw, 0, sizeof(raw));
	return 0;
}

static int
tk_create(PGconn *conn, const struct tk_args *a)
{
	char team[37], token[sizeof(TK_PREFIX) + 2 * TK_RANDOM_BYTES];
	const char *params[4] = { token, team, a->role,
				  a->name ? a->name : "" };
	PGresult *res;

	if (a->team == NULL || a->role == NULL ||
	    (strcmp(a->role, "member") != 0 && strcmp(a->role, "admin") != 0 &&
	     strcmp(a->role, "owner") != 0))
		return tk_usage(stderr, 2);
	if (tk_team(conn, a->team, team) < 0 ||
	    tk_random(token, sizeof(token)) < 0)
		return 1;
	res = tk_exec(conn, "INSERT INTO api_tokens (token_hash, team_id, "
		      "role, name) VALUES (sha256(convert_to($1, 'UTF8')), "
		      "$2::uuid, $3, $4) RETURNING id", 4, params,
		      "storing the token");
	if (res == NULL)
		return 1;
	printf("%s\n", token);
	fprintf(stderr, "token %s for team %s, role %s: shown once, only its "
		"hash is stored\n", PQgetvalue(res, 0, 0), team, a->role);
	memset(token, 0, sizeof(token));
	PQclear(res);
	return 0;
}

static int
tk_list(PGconn *conn, const struct tk_args *a)
{
	const char *params[1] = { a->team };
	PGresult *res;
	int i;

	res = tk_exec(conn, "SELECT k.id, t.name, k.role, k.name, "
		      "to_char(k.created_at AT TIME ZONE 'UTC', "
		      "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), "
		      "CASE WHEN k.revoked_at IS NULL THEN 'active' "
		      "ELSE 'revoked' END "
		      "FROM api_tokens k JOIN teams t ON t.id = k.team_id "
		      "WHERE $1::text IS NULL OR t.id::text = $1 "
		      "OR t.name = $1 ORDER BY k.created_at, k.id", 1, params,
		      "listing tokens");
	if (res == NULL)
		return 1;
	printf("%-36s  %-20s  %-6s  %-20s  %-20s  %s\n", "ID", "TEAM", "ROLE",
	       "NAME", "CREATED", "STATE");
	for (i = 0; i < PQntuples(res); i++)
		printf("%-36s  %-20s  %-6s  %-20s  %-20s  %s\n",
		       PQgetvalue(res, i, 0), PQgetvalue(res, i, 1),
		       PQgetvalue(res, i, 2), PQgetvalue(res, i, 3),
		       PQgetvalue(res, i, 4), PQgetvalue(res, i, 5));
	PQclear(res);
	return 0;
}

static int
tk_revoke(PGconn *conn, const struct tk_args *a)
{
	const char *params[1] = { a->id };
	PGresult *res;
	int n;

	if (a->id == NULL)
		return tk_usage(stderr, 2);
	res = tk_exec(conn, "UPDATE api_tokens SET revoked_at = now() "
		      "WHERE id::text = $1 AND revoked_at IS NULL "
		      "RETURNING id", 1, params, "revoking the token");
	if (res == NULL)
		return 1;
	n = PQntuples(res);
	PQclear(res);
	if (n == 0) {
		fprintf(stderr, "token: no active token with id %s\n", a->id);
		return 1;
	}
	printf("revoked %s\n", a->id);
	return 0;
}

int
tokencmd_main(int argc, char **argv)
{
	struct tk_args a;
	PGconn *conn;
	int rc;

	if (argc > 0 && (strcmp(argv[0], "--help") == 0 ||
			 strcmp(argv[0], "-h") == 0))
		return tk_usage(stdout, 0);
	if (tk_parse(argc, argv, &a) < 0 ||
	    (strcmp(a.verb, "create") != 0 && strcmp(a.verb, "list") != 0 &&
	     strcmp(a.verb, "revoke") != 0))
		return tk_usage(stderr, 2);
	conn = PQconnectdb(a.source);
	if (PQstatus(conn) != CONNECTION_OK) {
		fprintf(stderr, "token: cannot connect: %s",
			PQerrorMessage(conn));
		PQfinish(conn);
		return 1;
	}
	if (strcmp(a.verb, "create") == 0)
		rc = tk_create(conn, &a);
	else if (strcmp(a.verb, "list") == 0)
		rc = tk_list(conn, &a);
	else
		rc = tk_revoke(conn, &a);
	PQfinish(conn);
	return rc;
}
