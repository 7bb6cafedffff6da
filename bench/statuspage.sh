#!/usr/bin/env bash
# The status page under load (issue: "serves at least 80% of the ceiling's
# requests/s, p99 under 5 ms at 64 connections, and keeps doing so while an
# admin client writes an incident update every 100 ms").
#
# It builds headroom and bench/fixedserver (a Go server returning a fixed
# 5 KB body: the ceiling of this machine), starts `headroom serve` with 20
# components and 200 incidents (SQLite), and measures with wrk from
# loopback, in one run. Needs wrk and curl (apt-get install wrk curl).
#
#   bash bench/statuspage.sh [seconds per measurement, default 10]
#
# MODE picks the measurements:
#
#   all (default)  the ceiling, then /, /api/v2/summary.json and an incident
#                  page, each without and with gzip, as requests/s; then the
#                  same while an admin client posts an incident update
#                  every 100 ms.
#   cpu            requests per server CPU-second (the server process's
#                  user + system time, from /proc, over the wrk run), wrk
#                  -t1: / and summary.json with gzip against the 5 KB
#                  ceiling, and plain / against a bare server returning a
#                  body of the same size as /. REPS rounds (default 3).
#                  Also the 5 KB server sending the status page's ten
#                  headers rather than two: what net/http's writing them
#                  costs, whoever sends them.
#   writes         a write's server CPU with no reader (bench/statuswriter
#                  alone for the run's seconds); p99 of / and summary.json
#                  (gzip) without writes, then
#                  while an admin client (bench/statuswriter, one
#                  keep-alive connection) posts an update every 100 ms, and
#                  the ratio; the writer's count and latency of updates,
#                  and the server's CPU per write (its CPU during the run
#                  with writes beyond its requests' at the quiet run's
#                  CPU per request, over the updates).
#                  REPS rounds (default 3). WRITER=curl posts with a curl
#                  process per update instead, as the script used to.
#   rate           p50/p99/max of / (gzip) at a constant RATE requests/s
#                  (default 5000; vegeta, open loop: a request is sent on
#                  time whether or not the last was answered, as visitors
#                  arrive), without writes, then while bench/statuswriter
#                  posts an update every 100 ms, and the p99 ratio. Below
#                  saturation this measures what a write adds to a reader's
#                  latency; writes (closed loop, wrk -c64) measures what it
#                  takes from a saturated server's throughput. REPS rounds.
#                  Each round also measures the ratio's floor (CONTROL=0
#                  leaves it out): the writer process GETting
#                  /api/v2/status.json at the same pace instead of
#                  writing, and the run without a writer once more.
#   private        requests per server CPU-second, as cpu, of / gzip on a
#                  second server of the same page with Group 1's five
#                  components private (docs/STATUSPAGE.md, "Private
#                  pages"): the public audience, and the private one with
#                  a viewer token (Authorization: Bearer), beside the
#                  all-public page and the 5 KB ceiling. REPS rounds.
#
# EVERY=<duration> sets the writer's pace in writes and rate (default 100ms).
#
# PORTS=<port> moves the servers to PORTS..PORTS+5 (default 18080).
#
# BASE_REV=<git revision> also builds headroom at that revision and serves
# the same page from it beside the working tree's, measured in turn in the
# same run: before and after as ratios of one run.
set -euo pipefail
[ -n "${BENCH_TRACE:-}" ] && set -x
cd "$(dirname "$0")/.."
secs=${1:-10}
mode=${MODE:-all}
reps=${REPS:-3}
conns=64
# PORTS is the first of the six loopback ports the servers listen on (two
# runs at once need two).
ports=${PORTS:-18080}
case $mode in
all | writes | rate) threads=${WRK_THREADS:-2} ;;
cpu | private) threads=${WRK_THREADS:-1} ;;
*) echo "bench/statuspage.sh: MODE is all, cpu, writes, rate or private" >&2; exit 2 ;;
esac
if [ "$mode" = rate ] && ! command -v vegeta >/dev/null; then
  echo "bench/statuspage.sh: MODE=rate needs vegeta: go install github.com/tsenart/vegeta/v12@v12.13.0" >&2
  exit 2
fi
for tool in wrk curl; do
  command -v "$tool" >/dev/null || { echo "bench/statuspage.sh needs $tool: apt-get install $tool" >&2; exit 2; }
done
work=$(mktemp -d)
cleanup() {
  kill $(jobs -p) 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

echo "building..." >&2
go build -o "$work/headroom" ./cmd/headroom
go build -o "$work/fixedserver" ./bench/fixedserver
go build -o "$work/statuswriter" ./bench/statuswriter
servers=(after)
declare -A bin=([after]="$work/headroom") port=([after]=$ports) base token pid incident_path
if [ -n "${BASE_REV:-}" ]; then
  rev=$(git rev-parse --short "$BASE_REV")
  mkdir -p "$work/src-before"
  git archive "$rev" | tar -x -C "$work/src-before"
  (cd "$work/src-before" && go build -o "$work/headroom-before" ./cmd/headroom)
  servers+=(before)
  bin[before]="$work/headroom-before"
  port[before]=$((ports + 2))
fi
viewer=hrv_benchmark-viewer-token-0123456789abcdefghijk
if [ "$mode" = private ]; then
  servers+=(private)
  bin[private]="$work/headroom"
  port[private]=$((ports + 5))
fi

firstid() { grep -o '"id":"[a-z0-9]*"' | head -1 | cut -d'"' -f4; } # the incident's, the answer's first

admin() { # SERVER METHOD PATH JSON
  curl -fsS -X "$2" "${base[$1]}/api/admin/$3" -H "Authorization: Bearer ${token[$1]}" -H 'Content-Type: application/json' -d "$4"
}

# start SERVER: serve the benchmark page (20 components, 200 incidents).
start() {
  local s=$1 dir=$work/$1
  mkdir -p "$dir"
  {
    printf 'apiVersion: headroom.dev/v1alpha1\nkind: Config\nspec:\n  dataDir: data\n  page:\n    name: Benchmark\n'
    if [ "$s" = private ]; then
      printf '    access:\n      tokens: [{name: bench, sha256: %s}]\n' "$(printf %s "$viewer" | sha256sum | cut -d' ' -f1)"
    fi
    printf '    components:\n'
    for g in 1 2 3 4; do
      printf '    - name: Group %s\n' "$g"
      if [ "$s" = private ] && [ "$g" = 1 ]; then printf '      private: true\n'; fi
      printf '      components:\n'
      for c in 1 2 3 4 5; do printf '      - name: Component %s-%s\n' "$g" "$c"; done
    done
  } > "$dir/headroom.yaml"
  if curl -s -o /dev/null "http://127.0.0.1:${port[$s]}/"; then
    echo "bench/statuspage.sh: port ${port[$s]} is taken (another run?): set PORTS to six free ports' first" >&2
    exit 2
  fi
  token[$s]=$("${bin[$s]}" token create bench --config "$dir/headroom.yaml" 2>/dev/null)
  "${bin[$s]}" serve --config "$dir/headroom.yaml" --listen "127.0.0.1:${port[$s]}" > "$dir/serve.log" 2>&1 &
  pid[$s]=$!
  base[$s]=http://127.0.0.1:${port[$s]}
  for _ in $(seq 100); do curl -fs "${base[$s]}/api/v2/status.json" >/dev/null 2>&1 && break; sleep 0.1; done
  echo "writing 200 incidents ($s)..." >&2
  local i id
  for i in $(seq 1 200); do
    day=$(( (i - 1) % 85 + 1 ))
    start=$(date -u -d "$day days ago" +%Y-%m-%dT10:00:00Z)
    end=$(date -u -d "$day days ago" +%Y-%m-%dT10:45:00Z)
    comp="component-$(( (i - 1) % 4 + 1 ))-$(( (i - 1) % 5 + 1 ))"
    id=$(admin "$s" POST incidents "{\"name\":\"Elevated error rates $i\",\"impact\":\"major\",\"body\":\"We are investigating **elevated error rates** on $comp.\",\"components\":{\"$comp\":\"partial_outage\"},\"started_at\":\"$start\",\"display_at\":\"$start\"}" |
      firstid)
    admin "$s" POST "incidents/$id/resolve" "{\"body\":\"This incident has been resolved.\",\"display_at\":\"$end\"}" >/dev/null
  done
  incident_path[$s]="/incidents/$id"
}
for s in "${servers[@]}"; do start "$s"; done
"$work/fixedserver" -listen 127.0.0.1:$((ports + 1)) &
fixed_pid=$!
index_size=$(curl -s "${base[after]}/" | wc -c)
"$work/fixedserver" -listen 127.0.0.1:$((ports + 3)) -size "$index_size" &
same_pid=$!
"$work/fixedserver" -listen 127.0.0.1:$((ports + 4)) -headers &
headers_pid=$!
for _ in $(seq 100); do curl -fs http://127.0.0.1:$((ports + 3))/ >/dev/null 2>&1 && break; sleep 0.1; done

# wrk_run URL [wrk options]: wrk's output in $out.
wrk_run() {
  out=$(wrk -t"$threads" -c"$conns" -d"${secs}s" --latency "$@")
  last_rps=$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")
  last_p99=$(awk '$1 == "99%" {v = $2; if (v ~ /us$/) {sub(/us$/, "", v); v /= 1000} else if (v ~ /ms$/) {sub(/ms$/, "", v)} else if (v ~ /s$/) {sub(/s$/, "", v); v *= 1000}; print v}' <<<"$out")
  last_errors=$(awk '/Non-2xx|Socket errors/ {print}' <<<"$out")
}

# measure NAME URL [wrk options]: prints requests/s and p99 in ms.
measure() {
  local name=$1
  shift
  wrk_run "$@"
  printf '%-44s %10.0f req/s   p99 %7.2f ms %s\n' "$name" "$last_rps" "$last_p99" "$last_errors"
}

ticks=$(getconf CLK_TCK)
cputicks() { awk '{print $14 + $15}' "/proc/$1/stat"; } # user + system, in ticks

# measure_cpu NAME PID URL [wrk options]: prints requests/s, the server's
# CPU-seconds and requests per CPU-second (in $last_rpc).
measure_cpu() {
  local name=$1 p=$2
  shift 2
  local c0 c1 n
  c0=$(cputicks "$p")
  wrk_run "$@"
  c1=$(cputicks "$p")
  n=$(awk '/requests in/ {print $1}' <<<"$out")
  last_n=$n last_cpu=$(awk -v c=$((c1 - c0)) -v t="$ticks" 'BEGIN {print c / t}')
  last_rpc=$(awk -v n="$n" -v c=$((c1 - c0)) -v t="$ticks" 'BEGIN {print n / (c / t)}')
  printf '%-40s %8.0f req/s  %5.2f CPU-s  %8.0f req/CPU-s  p99 %6.2f ms %s\n' "$name" "$last_rps" \
    "$(awk -v c=$((c1 - c0)) -v t="$ticks" 'BEGIN {print c / t}')" "$last_rpc" "$last_p99" "$last_errors"
}
pct() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.0f", 100 * a / b}'; }

gz=(-H 'Accept-Encoding: gzip')
echo "sizes: / $index_size B ($(curl -s "${gz[@]}" "${base[after]}/" | wc -c) B gzip)," \
  "summary.json $(curl -s "${base[after]}/api/v2/summary.json" | wc -c) B ($(curl -s "${gz[@]}" "${base[after]}/api/v2/summary.json" | wc -c) B gzip)," \
  "incident page $(curl -s "${base[after]}${incident_path[after]}" | wc -c) B"
echo "mode $mode, wrk -t$threads -c$conns -d${secs}s, $(nproc) CPUs, $(go version | cut -d' ' -f3)${BASE_REV:+, before = $rev, after = the working tree}"

# writer SERVER: bench/statuswriter posts an update to a new incident every
# 100 ms until killed, over one keep-alive connection (a curl process per
# update was itself a CPU burst ten times a second on two shared CPUs), and
# prints how many it wrote, and their latency, when killed. WRITER=curl
# brings the old writer back, for comparison.
writer() {
  if [ "${WRITER:-go}" = curl ]; then
    local id n=0
    id=$(admin "$1" POST incidents '{"name":"Ongoing investigation","body":"Investigating.","components":{"component-1-1":"degraded_performance"}}' | firstid)
    while true; do
      n=$((n + 1))
      admin "$1" POST "incidents/$id/updates" "{\"status\":\"investigating\",\"body\":\"Update $n: still investigating.\"}" >/dev/null
      sleep 0.1
    done
  fi
  exec "$work/statuswriter" -url "${base[$1]}" -token "${token[$1]}" -every "${EVERY:-100ms}"
}

case $mode in
cpu)
  for r in $(seq "$reps"); do
    echo "round $r:"
    measure_cpu "ceiling (fixed 5 KB)" "$fixed_pid" http://127.0.0.1:$((ports + 1))/
    ceiling=$last_rpc
    measure_cpu "fixed 5 KB, the page's 10 headers" "$headers_pid" http://127.0.0.1:$((ports + 4))/
    printf '%40s %8s%% of the ceiling'"'"'s req/CPU-s\n' "" "$(pct "$last_rpc" "$ceiling")"
    for s in "${servers[@]}"; do
      for path in / /api/v2/summary.json; do
        measure_cpu "$path gzip ($s)" "${pid[$s]}" "${base[$s]}$path" "${gz[@]}"
        printf '%40s %8s%% of the ceiling'"'"'s req/CPU-s\n' "" "$(pct "$last_rpc" "$ceiling")"
      done
    done
    measure_cpu "ceiling (fixed $index_size B)" "$same_pid" http://127.0.0.1:$((ports + 3))/
    ceiling=$last_rpc
    for s in "${servers[@]}"; do
      measure_cpu "/ plain ($s)" "${pid[$s]}" "${base[$s]}/"
      printf '%40s %8s%% of the same-size ceiling'"'"'s req/CPU-s\n' "" "$(pct "$last_rpc" "$ceiling")"
    done
  done
  ;;
private)
  for r in $(seq "$reps"); do
    echo "round $r:"
    measure_cpu "ceiling (fixed 5 KB)" "$fixed_pid" http://127.0.0.1:$((ports + 1))/
    ceiling=$last_rpc
    measure_cpu "/ gzip (all public)" "${pid[after]}" "${base[after]}/" "${gz[@]}"
    printf '%40s %8s%% of the ceiling'"'"'s req/CPU-s\n' "" "$(pct "$last_rpc" "$ceiling")"
    measure_cpu "/ gzip (private parts, public)" "${pid[private]}" "${base[private]}/" "${gz[@]}"
    printf '%40s %8s%% of the ceiling'"'"'s req/CPU-s\n' "" "$(pct "$last_rpc" "$ceiling")"
    measure_cpu "/ gzip (private parts, token)" "${pid[private]}" "${base[private]}/" "${gz[@]}" -H "Authorization: Bearer $viewer"
    printf '%40s %8s%% of the ceiling'"'"'s req/CPU-s\n' "" "$(pct "$last_rpc" "$ceiling")"
  done
  ;;
writes)
  for r in $(seq "$reps"); do
    echo "round $r: load average $(cut -d' ' -f1-3 /proc/loadavg)"
    for s in "${servers[@]}"; do
      # A write's CPU alone: the server's over a writer's run with no
      # reader, over the updates written (the figure under load below is
      # a difference of two noisy measurements).
      c0=$(cputicks "${pid[$s]}")
      writer "$s" 2>"$work/writer.log" &
      w=$!
      sleep "$secs"
      kill "$w"
      wait "$w" 2>/dev/null || true
      c1=$(cputicks "${pid[$s]}")
      n=$(awk '/^statuswriter: [0-9]+ updates/ {print $2}' "$work/writer.log")
      [ "${n:-0}" -gt 0 ] || { echo "bench/statuspage.sh: the writer wrote nothing:" >&2; cat "$work/writer.log" >&2; exit 1; }
      printf '%-40s %s updates, server CPU per write: %.1f ms\n' "writes alone ($s)" "$n" \
        "$(awk -v c=$((c1 - c0)) -v t="$ticks" -v n="$n" 'BEGIN {print 1000 * c / t / n}')"
      for path in / /api/v2/summary.json; do
        measure_cpu "$path gzip ($s)" "${pid[$s]}" "${base[$s]}$path" "${gz[@]}"
        quiet=$last_p99 quiet_n=$last_n quiet_cpu=$last_cpu
        writer "$s" 2>"$work/writer.log" &
        w=$!
        sleep 1
        measure_cpu "$path gzip ($s) [writes]" "${pid[$s]}" "${base[$s]}$path" "${gz[@]}"
        kill "$w"
        wait "$w" 2>/dev/null || true
        cat "$work/writer.log"
        printf '%40s p99 with writes / without: %.2f, req/s %.2f\n' "" "$(awk -v a="$last_p99" -v b="$quiet" 'BEGIN {print a / b}')" \
          "$(awk -v a="$last_n" -v b="$quiet_n" 'BEGIN {print a / b}')"
        # The server's CPU a write took: what the run with writes used
        # beyond its requests at the quiet run's CPU per request, over the
        # updates written during it (the writer's own count, scaled to
        # the wrk run's share of its time).
        updates=$(awk '/^statuswriter: [0-9]+ updates/ {print $2 / $7 * '"$secs"'}' "$work/writer.log")
        if [ -n "$updates" ]; then
          printf '%40s server CPU per write: %.1f ms\n' "" \
            "$(awk -v c="$last_cpu" -v n="$last_n" -v qc="$quiet_cpu" -v qn="$quiet_n" -v u="$updates" 'BEGIN {print 1000 * (c - n * qc / qn) / u}')"
        fi
      done
    done
  done
  ;;
rate)
  rate=${RATE:-5000}
  # vegeta_run NAME URL: p50, p99 and max in ms at $rate requests/s.
  vegeta_run() {
    local r
    r=$(printf 'GET %s\nAccept-Encoding: gzip\n' "$2" | vegeta attack -rate="$rate/s" -duration="${secs}s" -keepalive=true | vegeta report -type=json)
    last_p50=$(grep -o '"50th":[0-9]*' <<<"$r" | cut -d: -f2)
    last_p99=$(grep -o '"99th":[0-9]*' <<<"$r" | cut -d: -f2)
    local mx ok
    mx=$(grep -o '"max":[0-9]*' <<<"$r" | head -1 | cut -d: -f2)
    ok=$(grep -o '"success":[0-9.]*' <<<"$r" | cut -d: -f2)
    printf '%-40s %6d req/s  p50 %6.2f ms  p99 %6.2f ms  max %7.2f ms  success %s\n' "$1" "$rate" \
      "$(awk -v v="$last_p50" 'BEGIN {print v / 1e6}')" "$(awk -v v="$last_p99" 'BEGIN {print v / 1e6}')" \
      "$(awk -v v="$mx" 'BEGIN {print v / 1e6}')" "$ok"
  }
  # beside SERVER KIND LABEL WHAT COMMAND...: / at $rate while COMMAND runs
  # (its output after), its p99 kept under KIND and set against $quiet.
  beside() {
    local s=$1 kind=$2 label=$3 what=$4 w
    shift 4
    "$@" 2>"$work/writer.log" &
    w=$!
    sleep 1
    vegeta_run "/ gzip ($s) [$label]" "${base[$s]}/"
    echo "$last_p99" >>"$work/p99.$s.$kind"
    kill "$w"
    wait "$w" 2>/dev/null || true
    cat "$work/writer.log"
    printf '%40s p99 %s / without: %.2f\n' "" "$what" "$(awk -v a="$last_p99" -v b="$quiet" 'BEGIN {print a / b}')"
  }
  for r in $(seq "$reps"); do
    echo "round $r: load average $(cut -d' ' -f1-3 /proc/loadavg)"
    for s in "${servers[@]}"; do
      vegeta_run "/ gzip ($s)" "${base[$s]}/"
      quiet=$last_p99
      echo "$last_p99" >>"$work/p99.$s.none"
      if [ "${CONTROL:-1}" = 1 ]; then
        # The floor under the ratio: the same writer process reading a
        # small page at the same pace, then no writer at all once more.
        beside "$s" reads "control: reads" "with the control reader" \
          "$work/statuswriter" -url "${base[$s]}" -token "${token[$s]}" -every "${EVERY:-100ms}" -read /api/v2/status.json
      fi
      beside "$s" writes writes "with writes" writer "$s"
      if [ "${CONTROL:-1}" = 1 ]; then
        sleep 1
        vegeta_run "/ gzip ($s) [again, no writer]" "${base[$s]}/"
        echo "$last_p99" >>"$work/p99.$s.none"
        printf '%40s p99 again / the first: %.2f\n' "" "$(awk -v a="$last_p99" -v b="$quiet" 'BEGIN {print a / b}')"
      fi
    done
  done
  # One round's ratio moves with the machine; the medians over the rounds
  # say more. Without a writer, the runs before and after the writes.
  median() { sort -n "$1" | awk '{v[NR] = $1} END {print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) / 1e6}'; }
  for s in "${servers[@]}"; do
    none=$(median "$work/p99.$s.none")
    printf 'medians of p99 over %d rounds (%s): no writer %.2f ms (%d runs)' "$reps" "$s" "$none" "$(wc -l <"$work/p99.$s.none")"
    if [ -f "$work/p99.$s.reads" ]; then
      printf ', control reader %.2f ms (%.2f×)' "$(median "$work/p99.$s.reads")" "$(awk -v a="$(median "$work/p99.$s.reads")" -v b="$none" 'BEGIN {print a / b}')"
    fi
    printf ', writes %.2f ms (%.2f×)\n' "$(median "$work/p99.$s.writes")" "$(awk -v a="$(median "$work/p99.$s.writes")" -v b="$none" 'BEGIN {print a / b}')"
  done
  ;;
all)
  run_all() { # LABEL
    measure "ceiling (fixed 5 KB)$1" http://127.0.0.1:$((ports + 1))/
    ceiling=$last_rps
    for path in / /api/v2/summary.json "${incident_path[after]}"; do
      measure "$path$1" "${base[after]}$path"
      printf '%44s %10.0f%% of the ceiling\n' "" "$(pct "$last_rps" "$ceiling")"
      measure "$path (gzip)$1" "${base[after]}$path" "${gz[@]}"
      printf '%44s %10.0f%% of the ceiling\n' "" "$(pct "$last_rps" "$ceiling")"
    done
  }
  run_all ""
  echo "while an admin client posts an update every 100 ms:"
  writer after &
  w=$!
  sleep 1
  run_all " [writes]"
  echo "updates written during the run: $(curl -s "${base[after]}/api/v2/incidents.json" | grep -o 'Update [0-9]*: still' | wc -l) (of the newest incident's, as listed)"
  kill "$w"
  wait "$w" 2>/dev/null || true
  ;;
esac
