#!/usr/bin/env bash
# `airlock --version` names the version of CMakeLists.txt's project() and the git commit the
# binary was built from (with -modified when tracked files differed), or "unknown" outside git.
set -euo pipefail
fail() { echo "version test: FAILED: $*" >&2; exit 1; }

line="$("$AIRLOCK_BINARY" --version)"
version="$(sed -n 's/^project(airlock VERSION \([0-9.]*\) .*/\1/p' "$AIRLOCK_SOURCE_DIR/CMakeLists.txt")"
[[ -n "$version" ]] || fail "no version in $AIRLOCK_SOURCE_DIR/CMakeLists.txt"
[[ "$line" =~ ^airlock\ ([0-9.]+)\ \(commit\ ([0-9a-f]{7,}(-modified)?|unknown)\)$ ]] ||
    fail "unexpected --version line: '$line'"
[[ "${BASH_REMATCH[1]}" == "$version" ]] || fail "'$line' does not name version $version"
commit="${BASH_REMATCH[2]}"

# The commit is the source tree's own, when git can read it (the build ran git the same way).
if head="$(git -C "$AIRLOCK_SOURCE_DIR" rev-parse HEAD 2>/dev/null)"; then
    [[ "$commit" != unknown ]] || fail "'$line': the source is a git checkout at $head"
    [[ "$head" == "${commit%-modified}"* ]] ||
        fail "'$line' does not name HEAD $head (rebuild after a commit updates it)"
else
    [[ "$commit" == unknown ]] || fail "'$line' names a commit, but the source is no git checkout"
fi
echo "version test: ok: $line"
