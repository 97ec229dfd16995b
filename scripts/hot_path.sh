#!/usr/bin/env bash
# Lists the functions airlock runs on its hot paths, for the link to place them together
# (cli/hot_path.txt; cli/CMakeLists.txt turns it into a linker script). Every agent's tool call
# starts a fresh airlock, and on a machine where faulting in a page of code is dear, code spread
# over the whole 4.5 MB text costs more than the work itself (docs/PERFORMANCE.md, "The
# binary's layout").
#
#   scripts/hot_path.sh [--check]
#
# Runs the built binary (BUILD_DIR, default build/) under `valgrind --tool=callgrind`: the
# agent hook deciding a Bash command (a new session, which leaves a hook server, then the same
# session handed to that server), a file write and a denied command (each decided in its own
# process), and `airlock exec -- /bin/true` in the default sandbox. Each function that ran is
# listed once, in the order the profiles list them, by its symbol (the name the compiler gives
# its section). Names that no longer exist only cost nothing; functions added since are placed with
# the rest of the code, so a stale list makes airlock slower, never wrong.
#
#   --check   print how many of the listed functions the current build still has, write nothing
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${BUILD_DIR:-$ROOT/build}"
OUT="$ROOT/cli/hot_path.txt"
CHECK=0
for arg in "$@"; do
    case "$arg" in
        --check) CHECK=1 ;;
        -h | --help)
            sed -n '2,17p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
            exit 0
            ;;
        *)
            echo "hot_path.sh: unknown argument '$arg' (expected --check)" >&2
            exit 2
            ;;
    esac
done
die() {
    echo "hot_path.sh: $*" >&2
    exit 1
}
AIRLOCK="$BUILD_DIR/cli/airlock"
[[ -x "$AIRLOCK" ]] || die "no built airlock at $AIRLOCK (cmake --build $BUILD_DIR --target airlock)"

if ((CHECK)); then
    listed="$(grep -v '^#' "$OUT" | grep -c .)"
    present="$(nm "$AIRLOCK" | awk '{print $NF}' | sort -u | comm -12 - <(grep -v '^#' "$OUT" | sort -u) | wc -l)"
    echo "hot_path.sh: $present of the $listed functions in cli/hot_path.txt are in $AIRLOCK"
    exit 0
fi
command -v valgrind >/dev/null || die "needs valgrind (apt-get install valgrind)"
command -v jq >/dev/null || die "needs jq"

SCRATCH="$(mktemp -d "${TMPDIR:-/tmp}/airlock-hot-path.XXXXXX")"
trap 'rm -rf "$SCRATCH"' EXIT
WS="$SCRATCH/ws"
mkdir -p "$WS"

profiled() { # profiled NAME [stdin file] -- airlock arguments...
    local name="$1" input="/dev/null"
    shift
    if [[ "$1" != "--" ]]; then input="$1"; shift; fi
    shift
    (cd "$WS" && valgrind --tool=callgrind --compress-strings=no --demangle=no \
        --callgrind-out-file="$SCRATCH/$name.%p.out" "$AIRLOCK" "$@" <"$input" >/dev/null 2>"$SCRATCH/$name.err") ||
        true # a denied call exits non-zero by design; the profile is what counts
    ls "$SCRATCH/$name".*.out >/dev/null 2>&1 || die "$name: valgrind wrote no profile: $(tail -c 400 "$SCRATCH/$name.err")"
}
event() { # event TOOL INPUT_JSON
    jq -cn --arg cwd "$WS" --arg tool "$1" --argjson input "$2" '{session_id: "hot-path",
        transcript_path: "/dev/null", cwd: $cwd, permission_mode: "default",
        hook_event_name: "PreToolUse", tool_name: $tool, tool_input: $input, tool_use_id: "toolu_1"}'
}
event Bash '{"command": "git status --short"}' >"$SCRATCH/bash.json"
event Write "$(jq -cn --arg p "$WS/notes.txt" '{file_path: $p, content: "x"}')" >"$SCRATCH/write.json"
event Bash '{"command": "mkfs.ext4 /dev/airlock-no-such-disk"}' >"$SCRATCH/deny.json"

# The first hook call decides in its own process and leaves a hook server (under valgrind too);
# the next one is the client's path, handing the event to it. The server is stopped at the end.
export XDG_RUNTIME_DIR="$SCRATCH/runtime" AIRLOCK_HOOK_SERVER_IDLE=120
mkdir -m 700 "$XDG_RUNTIME_DIR"
stop_and_clean() {
    local lock
    for lock in "$XDG_RUNTIME_DIR"/airlock/*.lock; do
        [[ -s "$lock" ]] && kill "$(cat "$lock")" 2>/dev/null
    done
    rm -rf "$SCRATCH"
}
trap stop_and_clean EXIT
profiled hook-first "$SCRATCH/bash.json" -- hook claude-code
# The server binds its socket after the first call has answered (slowly, under valgrind): the
# second call waits for it, so that its client hands the call over. (A server under valgrind
# refuses it, as it refuses any peer it cannot confirm: valgrind lacks pidfd_send_signal. The
# call then decides itself; the client's part is what is taken from this profile, below.)
for ((i = 0; i < 600; i++)); do
    compgen -G "$XDG_RUNTIME_DIR/airlock/*.sock" >/dev/null && break
    sleep 0.1
done
compgen -G "$XDG_RUNTIME_DIR/airlock/*.sock" >/dev/null || die "the first hook call left no hook server"
profiled hook-again "$SCRATCH/bash.json" -- hook claude-code
# The server (forked, still under valgrind) would decide these; in their own process the same
# decisions are profiled here.
AIRLOCK_HOOK_SERVER=off profiled hook-write "$SCRATCH/write.json" -- hook claude-code
AIRLOCK_HOOK_SERVER=off profiled hook-deny "$SCRATCH/deny.json" -- hook claude-code
# The host's sandbox probes (a user namespace made by a child) do not run under valgrind; run
# once natively first, as on any host, they are cached in the runtime directory.
(cd "$WS" && "$AIRLOCK" exec --workspace "$WS" -- /bin/true) >/dev/null 2>&1 ||
    die "airlock exec -- /bin/true fails on this host (airlock doctor tells why)"
profiled exec -- exec --workspace "$WS" -- /bin/true

# Each profile names the object of the functions that follow (ob=) and each function with a cost
# (fn=); only airlock's own, once each, in the order listed. Valgrind names no object ("???")
# for code outside the binary's `.text` section, which is where the functions already listed
# were linked: those count when the binary defines them as code (nm). A name the linker script
# cannot carry (callgrind's "(below main)", addresses) is left out.
nm "$AIRLOCK" | awk '$2 ~ /^[TtWw]$/ {print $3}' | sort -u >"$SCRATCH/code-symbols"
{
    echo "# Functions on airlock's hot paths, in the order the profiles list them; generated by scripts/hot_path.sh"
    echo "# from $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo 'an unknown commit'). cli/CMakeLists.txt links them first."
    # The call a hook server answers first: the client's few functions (what most calls run:
    # everything answer_hook_early calls, breadth first by the profile's call graph), together
    # at the front.
    {
        awk -v root="_ZN7airlock5hooks17answer_hook_earlyEiPPcS2_" '
            /^fn=/ { fn = substr($0, 4); sub(/\047[0-9]+$/, "", fn) }
            /^cfn=/ { c = substr($0, 5); sub(/\047[0-9]+$/, "", c); calls[fn] = calls[fn] " " c }
            END {
                queue[0] = root; queued[root] = 1; head = 0; tail = 1
                while (head < tail) {
                    f = queue[head++]; print f
                    n = split(calls[f], callees, " ")
                    for (i = 1; i <= n; i++)
                        if (!(callees[i] in queued)) { queued[callees[i]] = 1; queue[tail++] = callees[i] }
                }
            }' "$SCRATCH"/hook-again.*.out
        # What it runs once answered, which a server under valgrind never does (see above).
        echo _ZN7airlock5hooks4wire12read_messageEiRNS0_12MappedBufferE
        echo _ZN7airlock5hooks4wire12parse_answerESt17basic_string_viewIcSt11char_traitsIcEE
        for f in "$SCRATCH"/hook-again.*.out "$SCRATCH"/hook-first.*.out "$SCRATCH"/hook-write.*.out \
            "$SCRATCH"/hook-deny.*.out "$SCRATCH"/exec.*.out; do
            awk -v bin="$AIRLOCK" '
                /^ob=/ { ob = substr($0, 4) }
                /^fn=/ { if (ob == bin || ob == "???") { n = substr($0, 4); sub(/\047[0-9]+$/, "", n); print n } }' "$f"
        done
    } | grep -E '^[A-Za-z_][A-Za-z0-9_.$]*$' | awk '!seen[$0]++' |
        awk 'NR == FNR { code[$0] = 1; next } code[$0]' "$SCRATCH/code-symbols" -
} >"$SCRATCH/hot_path.txt"
grep -qx '_ZN7airlock5hooks25exchange_with_hook_serverEiPKcSt17basic_string_viewIcSt11char_traitsIcEES6_PPc' "$SCRATCH/hot_path.txt" ||
    die "the second hook call did not reach the hook server"
count="$(grep -vc '^#' "$SCRATCH/hot_path.txt")"
((count > 200)) || die "only $count functions found; is $AIRLOCK a build with symbols?"
mv "$SCRATCH/hot_path.txt" "$OUT"
echo "hot_path.sh: $count functions written to cli/hot_path.txt" >&2
