# regions.awk - turn specs/regions.csv into C initializers for region.c.
#
# Input: a header line naming the seven columns, then one region per line:
#   code,name,city,country,continent,latitude,longitude
# Fields hold no commas or quotes (place names are plain UTF-8 text), so a
# bare comma split is enough; anything unexpected stops the build instead
# of compiling a wrong catalog.

function fail(msg) {
	printf("%s:%d: %s\n", FILENAME, FNR, msg) > "/dev/stderr"
	failed = 1
	exit 1
}

function cstr(s) {
	gsub(/\\/, "\\\\", s)
	gsub(/"/, "\\\"", s)
	return "\"" s "\""
}

function number(s) {
	return s ~ /^-?[0-9]+(\.[0-9]+)?$/
}

BEGIN {
	FS = ","
	expect = "code,name,city,country,continent,latitude,longitude"
	print "/* Generated from specs/regions.csv by controller/regions.awk;"
	print " * edit the CSV, not this file. */"
}

{ sub(/\r$/, "") }

FNR == 1 {
	if ($0 != expect)
		fail("header must be: " expect)
	next
}

/^[ \t]*$/ { next }

{
	if (NF != 7)
		fail("expected 7 fields, found " NF)
	if ($1 !~ /^[a-z][a-z][a-z]$/)
		fail("region code must be three lowercase letters: " $1)
	if ($1 in seen)
		fail("duplicate region code: " $1)
	seen[$1] = 1
	if (!number($6) || !number($7))
		fail("latitude and longitude must be decimal numbers")
	if ($6 < -90 || $6 > 90 || $7 < -180 || $7 > 180)
		fail("latitude or longitude out of range")
	printf("\t{ %s, %s, %s, %s, %s,\n\t  %s, %s },\n", cstr($1),
	       cstr($2), cstr($3), cstr($4), cstr($5), $6, $7)
	count++
}

END {
	if (!failed && count == 0) {
		print "regions.awk: no regions in input" > "/dev/stderr"
		exit 1
	}
}
