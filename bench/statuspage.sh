#!/usr/bin/env bash
# The status page under load (issue: "serves at least 80% of the ceiling's
# requests/s, p99 under 5 ms at 64 connections, and keeps doing so while an
# admin client writes an incident update every 100 ms").
#
# It builds headroom and bench/fixedserver (a Go server returning a fixed
# 5 KB body: the ceiling of this machine), starts `headroom serve` with 20
# components and 200 incidents (SQLite), and measures with wrk from
# loopback, in one run: the ceiling, then /, /api/v2/summary.json and an
# incident page, each without and with gzip, then the same while an admin
# client posts an incident update every 100 ms. Needs wrk and curl
# (apt-get install wrk curl).
#
#   bash bench/statuspage.sh [seconds per measurement, default 10]
set -euo pipefail
[ -n "${BENCH_TRACE:-}" ] && set -x
cd "$(dirname "$0")/.."
secs=${1:-10}
conns=64
threads=${WRK_THREADS:-2}
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

{
  printf 'apiVersion: headroom.dev/v1alpha1\nkind: Config\nspec:\n  dataDir: data\n  page:\n    name: Benchmark\n    components:\n'
  for g in 1 2 3 4; do
    printf '    - name: Group %s\n      components:\n' "$g"
    for c in 1 2 3 4 5; do printf '      - name: Component %s-%s\n' "$g" "$c"; done
  done
} > "$work/headroom.yaml"
token=$("$work/headroom" token create bench --config "$work/headroom.yaml" 2>/dev/null)
"$work/headroom" serve --config "$work/headroom.yaml" --listen 127.0.0.1:18080 > "$work/serve.log" 2>&1 &
"$work/fixedserver" -listen 127.0.0.1:18081 &
base=http://127.0.0.1:18080
for _ in $(seq 100); do curl -fs "$base/api/v2/status.json" >/dev/null 2>&1 && break; sleep 0.1; done

firstid() { grep -o '"id":"[a-z0-9]*"' | head -1 | cut -d'"' -f4; } # the incident's, the answer's first

admin() { # METHOD PATH JSON
  curl -fsS -X "$1" "$base/api/admin/$2" -H "Authorization: Bearer $token" -H 'Content-Type: application/json' -d "$3"
}
echo "writing 200 incidents..." >&2
for i in $(seq 1 200); do
  day=$(( (i - 1) % 85 + 1 ))
  start=$(date -u -d "$day days ago" +%Y-%m-%dT10:00:00Z)
  end=$(date -u -d "$day days ago" +%Y-%m-%dT10:45:00Z)
  comp="component-$(( (i - 1) % 4 + 1 ))-$(( (i - 1) % 5 + 1 ))"
  id=$(admin POST incidents "{\"name\":\"Elevated error rates $i\",\"impact\":\"major\",\"body\":\"We are investigating **elevated error rates** on $comp.\",\"components\":{\"$comp\":\"partial_outage\"},\"started_at\":\"$start\",\"display_at\":\"$start\"}" |
    firstid)
  admin POST "incidents/$id/resolve" "{\"body\":\"This incident has been resolved.\",\"display_at\":\"$end\"}" >/dev/null
done
incident_path="/incidents/$id"

# measure NAME URL [wrk options]: prints requests/s and p99 in ms.
measure() {
  local name=$1 url=$2
  shift 2
  local out
  out=$(wrk -t"$threads" -c"$conns" -d"${secs}s" --latency "$@" "$url")
  local rps p99
  rps=$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")
  p99=$(awk '$1 == "99%" {v = $2; if (v ~ /us$/) {sub(/us$/, "", v); v /= 1000} else if (v ~ /ms$/) {sub(/ms$/, "", v)} else if (v ~ /s$/) {sub(/s$/, "", v); v *= 1000}; print v}' <<<"$out")
  local errors
  errors=$(awk '/Non-2xx|Socket errors/ {print}' <<<"$out")
  printf '%-44s %10.0f req/s   p99 %7.2f ms %s\n' "$name" "$rps" "$p99" "$errors"
  last_rps=$rps
}

run_all() { # LABEL
  measure "ceiling (fixed 5 KB)$1" http://127.0.0.1:18081/
  ceiling=$last_rps
  for path in / /api/v2/summary.json "$incident_path"; do
    measure "$path$1" "$base$path"
    printf '%44s %10.0f%% of the ceiling\n' "" "$(awk -v a="$last_rps" -v b="$ceiling" 'BEGIN {print 100 * a / b}')"
    measure "$path (gzip)$1" "$base$path" -H 'Accept-Encoding: gzip'
    printf '%44s %10.0f%% of the ceiling\n' "" "$(awk -v a="$last_rps" -v b="$ceiling" 'BEGIN {print 100 * a / b}')"
  done
}

echo "sizes: / $(curl -s "$base/" | wc -c) B ($(curl -s -H 'Accept-Encoding: gzip' "$base/" | wc -c) B gzip)," \
  "summary.json $(curl -s "$base/api/v2/summary.json" | wc -c) B, incident page $(curl -s "$base$incident_path" | wc -c) B"
echo "wrk -t$threads -c$conns -d${secs}s, $(nproc) CPUs, $(go version | cut -d' ' -f3)"
run_all ""

echo "while an admin client posts an update every 100 ms:"
writer=$(admin POST incidents '{"name":"Ongoing investigation","body":"Investigating.","components":{"component-1-1":"degraded_performance"}}' |
  firstid)
(
  n=0
  while true; do
    n=$((n + 1))
    admin POST "incidents/$writer/updates" "{\"status\":\"investigating\",\"body\":\"Update $n: still investigating.\"}" >/dev/null
    sleep 0.1
  done
) &
sleep 1
run_all " [writes]"
echo "updates written during the run: $(curl -s "$base/api/v2/incidents/$writer.json" | grep -o '"status":"investigating"' | wc -l)"
