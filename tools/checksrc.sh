#!/usr/bin/env bash
# Rejects banned calls in the product sources (DESIGN.md §8): sprintf, strcpy,
# strcat, atoi, atol, strtok, gets, and raw malloc/calloc/realloc outside
# common/mem.c (use mm_xmalloc & co). Exit 1 with file:line for each hit.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
status=0
banned='\b(sprintf|vsprintf|strcpy|strcat|atoi|atol|atoll|strtok|gets)\s*\('
raw_alloc='(^|[^_a-z])(malloc|calloc|realloc)\s*\('
for f in common/*.[ch] pipeline/*.[ch] serve/*.[ch]; do
    [ -f "$f" ] || continue
    if grep -nE "$banned" "$f" | grep -v '^\s*\*' | sed "s|^|$f:|" | grep .; then status=1; fi
    if [ "$f" != common/mem.c ]; then
        if grep -nE "$raw_alloc" "$f" | grep -vE 'mm_x(malloc|calloc|realloc)|^\s*[0-9]+:\s*(/?\*|//)' \
            | sed "s|^|$f:|" | grep .; then status=1; fi
    fi
done
[ $status -eq 0 ] && echo "checksrc: no banned calls"
exit $status
