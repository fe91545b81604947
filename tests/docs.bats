#!/usr/bin/env bats
# The repository carries the specification every comment cites.

load helpers

@test "docs/FORMAT.md is the project's shared specification, unchanged" {
	local shared=$REPO/../shared/docs/FORMAT.md
	[ -f "$shared" ] || skip "no shared/docs beside the clone"
	cmp "$REPO/docs/FORMAT.md" "$shared"
}

@test "docs/FORMAT.md has every section the code cites (1-16)" {
	local f=$REPO/docs/FORMAT.md n
	for n in $(seq 1 16); do
		grep -q "^## $n\. " "$f" || { echo "section $n missing"; return 1; }
	done
}
