#!/usr/bin/env bash
# The egress proxy's cost, end to end (never run by ctest; scripts/bench.sh runs it, and it runs
# alone): curl inside `airlock exec` through the proxy against the same curl without it, over
# HTTPS to a local server (tests/bench/egress_server.mjs, a test CA made here with openssl).
#
#   scripts/bench_egress.sh [--quick] [--peers]
#
#   --quick   fewer rounds
#   --peers   also Anthropic's sandbox-runtime (srt) and its proxy, installed into
#             tests/bench/node_modules by `npm ci` from tests/bench's lock file (srt needs
#             ripgrep and socat from Debian)
#
# Measures: a 100 MiB download (curl's own speed_download), the time to the first byte of a
# 1-byte answer (curl's time_starttransfer: connect, CONNECT, TLS, request), and airlock's RSS
# (the proxy is a thread of airlock exec) with 1, 50 and 200 tunnels open and idle at once
# through the proxy, and its peak (VmHWM) with 1 and 200. Prints a markdown section on stdout;
# with AIRLOCK_BENCH_TARGETS=FILE it appends its rows of the targets table there. Environment:
# BUILD_DIR (default build/).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${BUILD_DIR:-$ROOT/build}"
QUICK=0
PEERS=0
for arg in "$@"; do
    case "$arg" in
        --quick) QUICK=1 ;;
        --peers) PEERS=1 ;;
        -h | --help)
            sed -n '2,18p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
            exit 0
            ;;
        *)
            echo "bench_egress.sh: unknown argument '$arg' (expected --quick, --peers)" >&2
            exit 2
            ;;
    esac
done
if ((QUICK)); then BIG_ROUNDS=3 SMALL_ROUNDS=3 SMALL_PER_ROUND=30; else BIG_ROUNDS=11 SMALL_ROUNDS=5 SMALL_PER_ROUND=40; fi
BIG=$((100 << 20))
CONCURRENT=200

log() { printf 'bench egress: %s\n' "$*" >&2; }
die() {
    printf 'bench egress: %s\n' "$*" >&2
    exit 1
}
for tool in curl openssl node jq; do command -v "$tool" >/dev/null || die "needs $tool"; done

AIRLOCK="$BUILD_DIR/cli/airlock"
if [[ ! -x "$AIRLOCK" || ! -x "$BUILD_DIR/tests/bench/proxy_bench" ]]; then
    log "building airlock and proxy_bench in $BUILD_DIR"
    cmake --build "$BUILD_DIR" -j"$(nproc)" --target airlock proxy_bench >/dev/null ||
        die "build failed"
fi

SCRATCH="$(mktemp -d "${TMPDIR:-/tmp}/airlock-bench-egress.XXXXXX")"
WS="$SCRATCH/ws"
mkdir -p "$WS"
SERVER_PID=""
cleanup() {
    [[ -n "$SERVER_PID" ]] && kill "$SERVER_PID" 2>/dev/null
    rm -rf "$SCRATCH"
}
trap cleanup EXIT

median_of() { sort -g | awk '{a[NR]=$1} END {if (NR==0) print "nan"; else if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }
calc() { awk "BEGIN {x = $1; if (x != x) print \"n/a\"; else printf \"%.${2:-1}f\", x}" 2>/dev/null || echo "n/a"; }
verdict() { awk -v v="$1" -v op="$2" -v l="$3" 'BEGIN {
    if (v=="n/a" || v=="nan" || v=="") {print "not measured"; exit}
    ok = (op=="<=") ? (v<=l) : (v>=l); print ok ? "met" : "**missed**"}'; }

# --- the server ----------------------------------------------------------------------------------
log "a test CA and the server's certificate (pkgs.test, localhost)"
(
    cd "$SCRATCH"
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=airlock bench CA" \
        -keyout ca.key -out ca.pem 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -subj "/CN=pkgs.test" -keyout server.key \
        -out server.csr 2>/dev/null
    printf 'subjectAltName=DNS:pkgs.test,DNS:localhost\n' >ext.cnf
    openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 \
        -extfile ext.cnf -out server.pem 2>/dev/null
)
cp "$SCRATCH/ca.pem" "$WS/ca.pem"
coproc SERVER { exec node "$ROOT/tests/bench/egress_server.mjs" "$SCRATCH/server.pem" "$SCRATCH/server.key"; }

read -r ports <&"${SERVER[0]}" || die "the benchmark server did not start"
HTTPS_PORT="$(jq -r .https <<<"$ports")"
URL="https://pkgs.test:$HTTPS_PORT"

cat >"$SCRATCH/proxy.json" <<JSON
{"version": 1, "default": "allow", "env": {"allow": ["PATH", "HOME", "LANG"]},
 "sandbox": {"network": {"allow": ["pkgs.test:$HTTPS_PORT", "127.0.0.1:$HTTPS_PORT"],
                         "hosts": {"pkgs.test": "127.0.0.1"}}}}
JSON
cat >"$SCRATCH/on.json" <<JSON
{"version": 1, "default": "allow", "env": {"allow": ["PATH", "HOME", "LANG"]}, "sandbox": {"network": "on"}}
JSON

# Each prints one line per transfer: "speed_download time_starttransfer" (bytes/s, seconds).
FMT='%{speed_download} %{time_starttransfer}\n'
curl_loop() { # curl_loop N PATH [curl options...]: the shell loop run by every variant
    local n="$1" path="$2"
    shift 2
    printf 'for i in $(seq %d); do curl -sS -f --cacert ca.pem -o /dev/null -w %q %s %q || exit 1; done' \
        "$n" "$FMT" "$*" "$URL$path"
}
direct() { (cd "$WS" && sh -c "$(curl_loop "$1" "$2" --resolve "pkgs.test:$HTTPS_PORT:127.0.0.1")"); }
in_airlock() { # in_airlock POLICY N PATH [curl options]
    local policy="$1"
    shift
    "$AIRLOCK" exec --json --workspace "$WS" --no-builtin-policy --policy "$policy" --sandbox bwrap \
        -- sh -c "$(curl_loop "$@")" >"$SCRATCH/exec.json" || true
    jq -e '.exit_code == 0' "$SCRATCH/exec.json" >/dev/null ||
        die "airlock exec failed: $(jq -c '{status, exit_code, stderr}' "$SCRATCH/exec.json" | head -c 600)"
    jq -j .stdout "$SCRATCH/exec.json"
}
proxied() { in_airlock "$SCRATCH/proxy.json" "$@"; }
network_on() { in_airlock "$SCRATCH/on.json" "$1" "$2" --resolve "pkgs.test:$HTTPS_PORT:127.0.0.1"; }

SRT=""
srt_note=""
if ((PEERS)); then
    for pair in rg:ripgrep socat:socat; do
        command -v "${pair%%:*}" >/dev/null || srt_note="srt needs ${pair#*:} (Debian) on Linux"
    done
    if [[ -z "$srt_note" ]]; then
        [[ -x "$ROOT/tests/bench/node_modules/.bin/srt" ]] ||
            (cd "$ROOT/tests/bench" && npm ci --no-audit --no-fund --silent) ||
            srt_note="npm ci in tests/bench failed"
        [[ -x "$ROOT/tests/bench/node_modules/.bin/srt" ]] && SRT="$ROOT/tests/bench/node_modules/.bin/srt"
    fi
    # srt's proxy resolves names through the system resolver (it has no map of names to test
    # addresses): the target is localhost, allowed by name and by its literal address. Its
    # NO_PROXY names localhost, so curl is told to use the proxy all the same.
    cat >"$SCRATCH/srt.json" <<JSON
{"network": {"allowedDomains": ["localhost:$HTTPS_PORT", "127.0.0.1:$HTTPS_PORT"], "deniedDomains": []},
 "filesystem": {"denyRead": [], "allowWrite": ["."], "denyWrite": []}}
JSON
    srt_cmd() {
        (cd "$WS" && "$SRT" --settings "$SCRATCH/srt.json" -c "$(curl_loop "$1" "$2" --noproxy "''" | sed "s|pkgs.test|localhost|")")
    }
    if [[ -n "$SRT" ]] && ! srt_cmd 1 /bytes/1 >"$SCRATCH/srt.out" 2>"$SCRATCH/srt.err"; then
        srt_note="srt does not run here: $(tail -c 300 "$SCRATCH/srt.err" | tr '\n' ' ')"
        SRT=""
    fi
fi

variants=(direct network_on proxied)
declare -A label=([direct]="curl, no sandbox" [network_on]="airlock exec, network on (no proxy)"
    [proxied]="airlock exec, through the proxy" [srt_cmd]="srt, through its proxy")
[[ -n "$SRT" ]] && variants+=(srt_cmd)

# --- throughput and time to first byte -----------------------------------------------------------
log "a $((BIG >> 20)) MiB HTTPS download, $BIG_ROUNDS interleaved rounds"
# Each round starts with the next variant, so that none always follows the same one.
rotated() { local n=${#variants[@]}; for ((i = 0; i < n; i++)); do echo "${variants[$(((i + $1) % n))]}"; done; }
for ((r = 0; r < BIG_ROUNDS; r++)); do
    for v in $(rotated "$r"); do "$v" 1 "/bytes/$BIG" >>"$SCRATCH/big-$v"; done
done
log "time to first byte of a 1-byte answer, $SMALL_ROUNDS rounds × $SMALL_PER_ROUND"
for ((r = 0; r < SMALL_ROUNDS; r++)); do
    for v in $(rotated "$r"); do "$v" "$SMALL_PER_ROUND" /bytes/1 >>"$SCRATCH/small-$v"; done
done
declare -A mibs=() ttfb=()
for v in "${variants[@]}"; do
    mibs[$v]="$(awk '{print $1 / 1048576}' "$SCRATCH/big-$v" | median_of)"
    ttfb[$v]="$(awk '{print $2 * 1000}' "$SCRATCH/small-$v" | median_of)"
done

# --- 200 connections at once ---------------------------------------------------------------------
# curl -Z opens every transfer at once; the server holds each answer (egress_server.mjs, ?held)
# until all K requests wait, so that K tunnels are open and idle together: airlock's RSS is read
# then (the proxy is a thread of airlock exec), and its peak (VmHWM) once the answers of 1 MiB
# each have passed.
idle_rss() { # idle_rss K: "RSS HWM" (KiB) of airlock exec with K tunnels open and idle, then its peak
    local k="$1" cfg="$WS/held-$1.cfg" pid waiting=0 rss hwm=0 line
    : >"$cfg"
    for ((i = 0; i < k; i++)); do
        printf 'url = "%s/bytes/1048576?held"\noutput = "/dev/null"\n' "$URL" >>"$cfg"
    done
    "$AIRLOCK" exec --json --workspace "$WS" --no-builtin-policy --policy "$SCRATCH/proxy.json" \
        --sandbox bwrap -- curl -sS -f -Z --parallel-max "$k" --parallel-immediate \
        --cacert ca.pem -K "held-$k.cfg" -w '%{http_code}\n' >"$SCRATCH/held-$k.json" &
    pid=$!
    for ((t = 0; t < 1200; t++)); do
        waiting="$(curl -sS "$PLAIN/waiting")"
        [[ "$waiting" == "$k" ]] && break
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.05
    done
    rss="$(awk '/^VmRSS/ {print $2}' "/proc/$pid/status" 2>/dev/null || true)"
    curl -sS "$PLAIN/release" >/dev/null
    # The largest VmHWM seen (an exiting process's figures fall as its memory goes).
    while line="$(grep '^VmHWM' "/proc/$pid/status" 2>/dev/null)"; do
        hwm="$(awk -v h="$hwm" '{print ($2 > h) ? $2 : h}' <<<"$line")"
        sleep 0.05
    done
    wait "$pid" || true
    [[ "$waiting" == "$k" && -n "$rss" ]] || die "$k transfers at once: only $waiting reached the server together"
    local ok
    ok="$(jq -r .stdout "$SCRATCH/held-$k.json" | grep -c '^200$' || true)"
    [[ "$ok" == "$k" ]] || die "$k transfers at once: only $ok answered 200: $(jq -c '{status, exit_code, stderr}' "$SCRATCH/held-$k.json" | head -c 600)"
    echo "$rss $hwm"
}
PLAIN="http://127.0.0.1:$(jq -r .http <<<"$ports")"
log "airlock's RSS with 1, 50 and $CONCURRENT tunnels open and idle at once"
read -r rss1 hwm1 <<<"$(idle_rss 1)" || exit 1
read -r rss50 hwm50 <<<"$(idle_rss 50)" || exit 1
read -r rss200 hwm200 <<<"$(idle_rss "$CONCURRENT")" || exit 1
[[ -n "$rss200" ]] || exit 1
rss_growth="$(calc "($rss200 - $rss1) * 100 / $rss1")"
hwm_growth="$(calc "($hwm200 - $hwm1) * 100 / $hwm1")"

# --- in process, loopback ------------------------------------------------------------------------
log "the proxy in process over loopback (tests/bench/proxy_bench)"
proxy_bench_out="$("$BUILD_DIR/tests/bench/proxy_bench" 100 $((QUICK ? 3 : 5)))"
proxy_alone="$("$BUILD_DIR/tests/bench/proxy_bench" --concurrent "$CONCURRENT")"

# --- report --------------------------------------------------------------------------------------
# The proxy's cost: the same curl in the same sandbox, with the network "on" (no proxy) and
# through the proxy. curl without any sandbox is shown for reference.
ratio_pct="$(calc "${mibs[proxied]} * 100 / ${mibs[network_on]}" 0)"
added_ms="$(calc "${ttfb[proxied]} - ${ttfb[network_on]}" 2)"
echo "### Egress proxy: HTTPS through \`airlock exec\`"
echo
echo "curl against tests/bench/egress_server.mjs (Node, HTTPS on 127.0.0.1, a test CA), each figure curl's own (\`speed_download\`, \`time_starttransfer\`). \"Through the proxy\" runs curl inside \`airlock exec\` (bwrap) with a network policy allowing the server (\`hosts\` maps pkgs.test to 127.0.0.1): curl reaches it only through the proxy's CONNECT tunnel. \"Network on\" is the same curl in the same sandbox without the proxy: the comparison that isolates the proxy. Medians over interleaved rounds: $BIG_ROUNDS downloads of $((BIG >> 20)) MiB each, $SMALL_ROUNDS × $SMALL_PER_ROUND requests of a 1-byte answer (a new connection and TLS handshake each)."
echo
echo "| | $((BIG >> 20)) MiB download, MiB/s | % of network on | time to first byte, ms | added to network on, ms |"
echo "|---|---:|---:|---:|---:|"
for v in "${variants[@]}"; do
    echo "| ${label[$v]} | $(calc "${mibs[$v]}" 0) | $(calc "${mibs[$v]} * 100 / ${mibs[network_on]}" 0) | $(calc "${ttfb[$v]}" 2) | $(calc "${ttfb[$v]} - ${ttfb[network_on]}" 2) |"
done
echo
echo "$CONCURRENT connections at once (curl -Z inside \`airlock exec\`; the server holds every answer until told to send it, so that all of them are open and idle together, then sends 1 MiB on each): every transfer answered 200. airlock's RSS (the proxy is a thread of airlock) with 1, 50 and $CONCURRENT tunnels open and idle: $(calc "$rss1 / 1024" 2), $(calc "$rss50 / 1024" 2) and $(calc "$rss200 / 1024" 2) MiB ($rss_growth %, $(calc "($rss200 - $rss1) / ($CONCURRENT - 1)" 1) KiB per tunnel); its peak (VmHWM, the set-up of $CONCURRENT connections at once included): $(calc "$hwm1 / 1024" 2) MiB with 1, $(calc "$hwm200 / 1024" 2) MiB with $CONCURRENT ($hwm_growth %)."
echo
[[ -n "$srt_note" ]] && echo "- srt not measured: $srt_note" && echo
echo "In process over loopback, no TLS (tests/bench/proxy_bench: a CONNECT tunnel against the same socket read directly, the worst case for a relay; then the proxy alone in a process of its own, \`--concurrent $CONCURRENT\`):"
echo
sed 's/^/- /' <<<"$proxy_bench_out"
echo "- $proxy_alone"
echo
if [[ -n "${AIRLOCK_BENCH_TARGETS:-}" ]]; then
    {
        echo "| egress: 100 MiB HTTPS download through the proxy ≥ 90 % of the same without it (same sandbox, network on) | $ratio_pct % | $(verdict "$ratio_pct" '>=' 90) |"
        echo "| egress: added time to first byte ≤ 2 ms | $added_ms ms | $(verdict "$added_ms" '<=' 2) |"
        echo "| egress: $CONCURRENT connections open at once, airlock's RSS flat (≤ +10 % of 1 connection) | $rss_growth % (peak $hwm_growth %) | $(verdict "$rss_growth" '<=' 10) |"
    } >>"$AIRLOCK_BENCH_TARGETS"
fi
