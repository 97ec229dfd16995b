#!/usr/bin/env bash
# The functions of cli/hot_path.txt are linked first, together, in the section the hot-path
# linker script adds before .text (cli/CMakeLists.txt). Not applicable (77) where the linker
# did not take the script.
set -euo pipefail
fail() { echo "layout test: FAILED: $*" >&2; exit 1; }

if [[ "${AIRLOCK_HOT_PATH_ORDERED:-}" != 1 ]]; then
    echo "layout test: not applicable here: the linker did not take the hot-path script" >&2
    exit 77
fi
list="$AIRLOCK_SOURCE_DIR/cli/hot_path.txt"
read -r start size < <(readelf -SW "$AIRLOCK_BINARY" |
    awk '$2 == ".text.hot_path" {print $4, $6}') || fail "no .text.hot_path section in $AIRLOCK_BINARY"
text_start="$(readelf -SW "$AIRLOCK_BINARY" | awk '$2 == ".text" {print $4}')"
((0x$size >= 256 * 1024)) || fail ".text.hot_path holds only $((0x$size)) bytes"
((0x$start < 0x$text_start)) || fail ".text.hot_path does not come before .text"

# Every listed function the binary has lies inside the section (a name the compiler spells
# differently now is only not found).
inside=0 outside=0
while read -r address name; do
    if ((0x$address >= 0x$start && 0x$address < 0x$start + 0x$size)); then
        inside=$((inside + 1))
    else
        outside=$((outside + 1))
        ((outside <= 5)) && echo "layout test: outside the hot path: $name" >&2
    fi
done < <(nm "$AIRLOCK_BINARY" | awk '$2 ~ /^[tTwW]$/ {print $1, $3}' |
    sort -k2,2 -u | join -1 2 -2 1 -o 1.1,1.2 - <(grep -v '^#' "$list" | sort -u))
listed="$(grep -vc '^#' "$list")"
((inside * 10 >= listed * 8)) ||
    fail "only $inside of the $listed listed functions are in .text.hot_path ($outside elsewhere); run scripts/hot_path.sh"
((outside * 10 <= inside)) || fail "$outside listed functions lie outside .text.hot_path"
echo "layout test: ok: $inside of $listed listed functions first, in $((0x$size / 1024)) KiB"
