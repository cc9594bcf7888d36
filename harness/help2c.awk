# help2c.awk — turns harness/help.txt into a C table of { "name", "text" } for the program to print.
BEGIN {
	print "/* Generated from harness/help.txt by harness/help2c.awk: do not edit. */"
	print "static const struct { const char *name, *text; } help_texts[] = {"
	open = 0
}
/^#/ { next }
/^@ / {
	if (open)
		print "\t},"
	printf "\t{ \"%s\",\n", substr($0, 3)
	open = 1
	next
}
{
	gsub(/\\/, "\\\\")
	gsub(/"/, "\\\"")
	printf "\t  \"%s\\n\"\n", $0
}
END {
	if (open)
		print "\t},"
	print "};"
}
