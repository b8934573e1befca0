# pgembed.awk - turn specs/postgres/NNN_name.sql files into C initializers
# for pgmigrate.c, one { version, name, sql } row per file.
#
# The version is the number the file name starts with; files must come in
# increasing version order (the Makefile sorts them), and a gap or a
# repeat stops the build rather than compiling a migration out of order.

function fail(msg) {
	printf("%s: %s\n", FILENAME, msg) > "/dev/stderr"
	failed = 1
	exit 1
}

function cstr(s) {
	gsub(/\\/, "&&", s)  # "&&": every awk doubles the match
	gsub(/"/, "\\\"", s)
	gsub(/\t/, "\\t", s)
	return "\"" s "\\n\""
}

function close_row() {
	if (count > 0)
		print "\t},"
}

BEGIN {
	print "/* Generated from specs/postgres by controller/pgembed.awk;"
	print " * edit the SQL files, not this file. */"
}

{ sub(/\r$/, "") }

FNR == 1 {
	name = FILENAME
	sub(/.*\//, "", name)
	if (name !~ /^[0-9][0-9][0-9]_[a-z0-9_]+\.sql$/)
		fail("file name must look like 001_what.sql")
	version = substr(name, 1, 3) + 0
	if (version != count + 1)
		fail("expected version " count + 1 ", found " version)
	close_row()
	count++
	printf("\t{ %d, \"%s\",\n", version, name)
}

{ printf("\t  %s\n", cstr($0)) }

END {
	if (failed)
		exit 1
	if (count == 0) {
		print "pgembed.awk: no migrations in input" > "/dev/stderr"
		exit 1
	}
	close_row()
}
