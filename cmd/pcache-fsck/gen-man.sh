#!/bin/sh
# Regenerate pcache-fsck.8 from pcache-fsck.8.in and the findings table
# (pcache-fsck --list-findings), so that the manual lists exactly the codes
# the program reports. Usage: cmd/pcache-fsck/gen-man.sh BUILD_DIR
set -eu
here=$(dirname "$0")
"${1:-build}/pcache-fsck" --list-findings | awk -F'\t' '
	{
		fix = ""
		if ($4 == "preen") fix = ", repaired by -p and -y"
		if ($4 == "yes") fix = ", repaired by -y"
		what = $5; gsub(/\\/, "\\\\", what); gsub(/^\./, "\\&.", what)
		gsub(/-/, "\\-", $1)
		printf ".TP\n.B %s\n(%s, %s%s) %s\n", $1, $2, $3, fix, what
	}' > "$here/.findings.tmp"
awk -v f="$here/.findings.tmp" '
	$0 == "@FINDINGS@" { while ((getline l < f) > 0) print l; next }
	{ print }' "$here/pcache-fsck.8.in" > "$here/pcache-fsck.8"
rm -f "$here/.findings.tmp"
