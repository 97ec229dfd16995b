#!/usr/bin/env bash
# The man pages (man/, as the build configured them into AIRLOCK_MAN_DIR): every top-level
# subcommand of `airlock --help` has its page airlock-COMMAND(1); each page names every option
# that `airlock COMMAND ... --help` lists, at every level; every page renders without a warning
# (as lintian checks them) and has a NAME line man-db can index.
set -euo pipefail
fail() { echo "man pages test: FAILED: $*" >&2; exit 1; }
not_applicable() {
    echo "man pages test: not applicable on this host: $*" >&2
    [[ -n "${AIRLOCK_TEST_NA_LOG:-}" ]] && echo "install: man pages: $*" >>"$AIRLOCK_TEST_NA_LOG"
    exit 77
}
command -v man >/dev/null && command -v lexgrog >/dev/null ||
    not_applicable "man-db is not installed (Debian: apt-get install man-db groff-base)"

dir="$AIRLOCK_MAN_DIR"
version="$("$AIRLOCK_BINARY" --version | awk '{print $2}')"

# The text of a page's source as it reads: roff's \- is -, font changes and \& vanish.
page_text() { sed -e 's/\\-/-/g' -e 's/\\f[BIRP]//g' -e 's/\\&//g' "$1"; }

# Sections of `airlock WORDS... --help`: prints "sub NAME" and "opt NAME" lines.
help_entries() {
    local section="" line word name
    while IFS= read -r line; do
        case "$line" in
            Subcommands:) section=sub; continue ;;
            Options:) section=opt; continue ;;
            Positionals:) section=""; continue ;;
        esac
        [[ -n "$section" && "$line" =~ ^\ \ ([^ ].*)$ ]] || continue
        word="${BASH_REMATCH[1]%% *}"
        if [[ "$section" == sub ]]; then
            echo "sub $word"
        else
            for name in ${word//,/ }; do echo "opt $name"; done
        fi
    done < <("$AIRLOCK_BINARY" "$@" --help)
}

options_checked=0
# check_options PAGE WORDS...: PAGE names every option of `airlock WORDS...` and, but for
# airlock itself (whose subcommands have pages of their own), of its subcommands.
check_options() {
    local page="$1" kind name text
    shift
    text="$(page_text "$page")"
    while read -r kind name; do
        if [[ "$kind" == sub ]]; then
            (($# > 0)) && check_options "$page" "$@" "$name"
            continue
        fi
        # (Here-strings, not pipes: grep -q stops early, which pipefail would count as failing.)
        grep -qE -- "(^|[^[:alnum:]-])${name}([^[:alnum:]-]|$)" <<<"$text" ||
            fail "$(basename "$page") does not mention $name (airlock $* --help lists it)"
        options_checked=$((options_checked + 1))
    done < <(help_entries "$@")
}

pages_checked=0
warnings_file="$(mktemp)"
trap 'rm -f "$warnings_file"' EXIT
check_page() {  # renders like lintian's groff check, and the NAME line is indexable
    local page="$1" text warnings
    [[ -f "$page" ]] || fail "no man page $page"
    # troff's warnings (lintian's check: man --warnings at 80 columns) on stderr, the text on
    # stdout.
    text="$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -E UTF-8 -l "$page" 2>"$warnings_file")"
    warnings="$(cat "$warnings_file")"
    [[ -z "$warnings" ]] || fail "$(basename "$page") renders with warnings: $warnings"
    grep -q "^NAME" <<<"$text" || fail "$(basename "$page") renders no NAME section"
    lexgrog "$page" >/dev/null || fail "$(basename "$page"): lexgrog finds no whatis entry"
    grep -q "\"airlock $version\"" "$page" || fail "$(basename "$page") does not name airlock $version"
    pages_checked=$((pages_checked + 1))
}

top_level="$(help_entries)"
check_page "$dir/airlock.1"
check_page "$dir/airlock-policy.5"
check_options "$dir/airlock.1"  # --help, --version
commands=0
while read -r kind name; do
    [[ "$kind" == sub ]] || continue
    check_page "$dir/airlock-$name.1"
    check_options "$dir/airlock-$name.1" "$name"
    grep -q "airlock\\\\-$name (1)" "$dir/airlock.1" || fail "airlock(1) does not refer to airlock-$name(1)"
    commands=$((commands + 1))
done <<<"$top_level"
((commands >= 12)) || fail "only $commands subcommands found in airlock --help"

# No stray page: each one is airlock(1), airlock-policy(5) or a subcommand's.
for page in "$dir"/*.[1-8]; do
    name="$(basename "$page")"
    case "$name" in
        airlock.1 | airlock-policy.5) ;;
        airlock-*.1)
            grep -qx "sub $(basename "${name#airlock-}" .1)" <<<"$top_level" ||
                fail "$name documents no subcommand of airlock --help"
            ;;
        *) fail "unexpected page $name" ;;
    esac
done
echo "man pages test: ok: $commands subcommands, $pages_checked pages render cleanly, $options_checked options documented"
