# webembed.awk - turn the dashboard page (controller/dashboard/index.html)
# into one C string literal for dashboard.c.
#
# A line holding only <!-- include NAME --> is replaced by the file NAME
# from the same folder, so the CSS and JavaScript stay separate files to
# edit while the page is served as one response with no other assets.
# Question marks are escaped so that no "??x" becomes a C trigraph, and
# a backslash is doubled with "&&", which every awk reads the same way.

function fail(msg) {
	printf("%s:%d: %s\n", FILENAME, FNR, msg) > "/dev/stderr"
	failed = 1
	exit 1
}

function cstr(s) {
	gsub(/\\/, "&&", s)
	gsub(/"/, "\\\"", s)
	gsub(/\t/, "\\t", s)
	gsub(/\?/, "\\?", s)
	return "\"" s "\\n\""
}

function emit(s) {
	sub(/\r$/, "", s)
	printf("\t%s\n", cstr(s))
	count++
}

function include(name,    path, line, n) {
	if (name !~ /^[a-z0-9_-]+\.(css|js|svg)$/)
		fail("bad include name: " name)
	path = dir "/" name
	n = 0
	while ((getline line < path) > 0) {
		emit(line)
		n++
	}
	close(path)
	if (n == 0)
		fail("empty or missing include: " path)
}

BEGIN {
	print "/* Generated from controller/dashboard by controller/webembed.awk;"
	print " * edit the files there, not this one. */"
}

FNR == 1 {
	dir = FILENAME
	if (!sub(/\/[^\/]*$/, "", dir))
		dir = "."
}

/^[ \t]*<!-- include [^ ]+ -->[ \t\r]*$/ {
	name = $0
	sub(/^[ \t]*<!-- include /, "", name)
	sub(/ -->.*$/, "", name)
	include(name)
	next
}

{ emit($0) }

END {
	if (!failed && count == 0) {
		print "webembed.awk: empty page" > "/dev/stderr"
		exit 1
	}
}
