#!/usr/bin/env bash
# Whether a change to the status page's rendering changed what it serves.
#
#   bash bench/samepages.sh OLD_REV [NEW_REV]   (NEW_REV: the working tree)
#
# Builds headroom at both revisions, then for each of en, de and ja: writes
# one store with the old binary (6 components in 2 groups, 25 incidents
# with markup, quotes, tabs and non-ASCII in names and bodies, one lasting
# with 14 updates, a third resolved), serves copies of it with both, and
# compares every answer (/, /history and its second page, both feeds, the
# v2 API documents, the badges, every incident page, three 404s), headers
# (but Date) and body, with and without gzip. Then, with the new binary
# alone: the answers after live writes with readers between them against
# a fresh render of the same store (what a write keeps between renders
# must be what a render from scratch makes). Needs curl; loopback ports
# 19090-19094. Prints the differing answers and "N of M answers differ".
set -uo pipefail
cd "$(dirname "$0")/.."
[ $# -ge 1 ] || { echo "usage: bash bench/samepages.sh OLD_REV [NEW_REV]" >&2; exit 2; }
w=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; wait 2>/dev/null; rm -rf "$w"' EXIT
build() { # REV OUT: headroom at REV ("" = the working tree)
  if [ -z "$1" ]; then go build -o "$2" ./cmd/headroom; return; fi
  mkdir -p "$w/src-$1" && git archive "$1" | tar -x -C "$w/src-$1" && (cd "$w/src-$1" && go build -o "$2" ./cmd/headroom)
}
echo "building..." >&2
build "$1" "$w/old" || exit 2
build "${2:-}" "$w/new" || exit 2
OLD=$w/old NEW=$w/new

up() { for _ in $(seq 100); do curl -fs "http://127.0.0.1:$1/api/v2/status.json" >/dev/null 2>&1 && return; sleep 0.1; done; echo "port $1 did not answer" >&2; exit 2; }
config() { # DIR LANG
  mkdir -p "$1"
  { printf 'apiVersion: headroom.dev/v1alpha1\nkind: Config\nspec:\n  dataDir: data\n  page:\n    name: "Bench <&> Co"\n    language: %s\n    url: https://status.example.com\n    components:\n' "$2"
    for g in 1 2; do printf '    - name: Group %s\n      components:\n' "$g"; for c in 1 2 3; do printf '      - name: Component %s-%s\n' "$g" "$c"; done; done
  } > "$1/headroom.yaml"
}
# answers PORT OUT PATHS...: each answer's headers (but Date) and body, hashed
answers() {
  local port=$1 out=$2 path gz
  shift 2
  for path in "$@"; do for gz in "" gzip; do
    echo "$path $gz $(curl -s -D - -H "Accept-Encoding: $gz" "http://127.0.0.1:$port$path" | grep -aviE '^date:' | md5sum | cut -d' ' -f1)"
  done; done > "$out"
}
paths() { # PORT: every path of the page
  echo / /history "/history?page=2" /history.atom /history.rss /api/v2/summary.json /api/v2/status.json /api/v2/incidents.json \
    /api/v2/incidents/unresolved.json /api/v2/components.json /api/v2/scheduled-maintenances.json \
    /api/v2/scheduled-maintenances/upcoming.json /api/v2/scheduled-maintenances/active.json /badge.svg /widget.svg /nope /incidents/nope /api/v2/nope.json
  curl -s "http://127.0.0.1:$1/api/v2/incidents.json" | grep -o '"incident_id":"[a-z0-9]*"' | cut -d'"' -f4 | sort -u | sed 's|^|/incidents/|'
}
diffs=0 total=0
for lang in en de ja; do
  d=$w/$lang
  config "$d/a" "$lang"
  tok=$("$OLD" token create bench --config "$d/a/headroom.yaml" 2>/dev/null)
  "$OLD" serve --config "$d/a/headroom.yaml" --listen 127.0.0.1:19090 > "$d/write.log" 2>&1 &
  p=$!
  up 19090
  adm() { curl -fsS -X "$1" "http://127.0.0.1:19090/api/admin/$2" -H "Authorization: Bearer $tok" -H 'Content-Type: application/json' -d "$3"; }
  first=""
  for i in $(seq 1 25); do
    day=$(( (i - 1) % 40 + 1 ))
    st=$(date -u -d "$day days ago" +%Y-%m-%dT10:00:00Z) en=$(date -u -d "$day days ago" +%Y-%m-%dT11:20:00Z)
    comp="component-$(( (i - 1) % 2 + 1 ))-$(( (i - 1) % 3 + 1 ))"
    id=$(adm POST incidents "{\"name\":\"Errors <b>$i</b> & \\\"quotes\\\" ü\",\"impact\":\"major\",\"body\":\"We are *investigating* <errors> & \\\"timeouts\\\"\\n\\n- one\\n- two\\ttab\",\"components\":{\"$comp\":\"partial_outage\"},\"started_at\":\"$st\",\"display_at\":\"$st\"}" |
      grep -o '"id":"[a-z0-9]*"' | head -1 | cut -d'"' -f4)
    first=${first:-$id}
    adm POST "incidents/$id/updates" "{\"status\":\"identified\",\"body\":\"Found it: \`config\` ]]> ünïcode\"}" >/dev/null
    [ $((i % 3)) = 0 ] && adm POST "incidents/$id/resolve" "{\"body\":\"This incident has been resolved.\",\"display_at\":\"$en\"}" >/dev/null
  done
  for k in $(seq 1 12); do adm POST "incidents/$first/updates" "{\"status\":\"monitoring\",\"body\":\"Still watching ($k) <x> & y\"}" >/dev/null; done
  kill $p; wait $p 2>/dev/null
  cp -r "$d/a" "$d/b"
  "$OLD" serve --config "$d/a/headroom.yaml" --listen 127.0.0.1:19091 > "$d/old.log" 2>&1 &
  "$NEW" serve --config "$d/b/headroom.yaml" --listen 127.0.0.1:19092 > "$d/new.log" 2>&1 &
  up 19091; up 19092
  list=$(paths 19091)
  answers 19091 "$d/old.txt" $list
  answers 19092 "$d/new.txt" $list
  n=$(diff "$d/old.txt" "$d/new.txt" | grep -c '^>')
  diff "$d/old.txt" "$d/new.txt" | grep '^>' | sed "s/^> /DIFF $lang /" | cut -d' ' -f1-4
  diffs=$((diffs + n)) total=$((total + $(wc -l < "$d/old.txt")))
  kill $(jobs -p) 2>/dev/null; wait 2>/dev/null
done
echo "$diffs of $total answers differ between $1 and ${2:-the working tree}"

# Live writes against a fresh render, the new binary alone.
d=$w/live
config "$d/a" de
tok=$("$NEW" token create bench --config "$d/a/headroom.yaml" 2>/dev/null)
"$NEW" serve --config "$d/a/headroom.yaml" --listen 127.0.0.1:19093 > "$d/live.log" 2>&1 &
p=$!
up 19093
adm() { curl -fsS -X "$1" "http://127.0.0.1:19093/api/admin/$2" -H "Authorization: Bearer $tok" -H 'Content-Type: application/json' -d "$3"; }
for i in $(seq 1 8); do
  st=$(date -u -d "$i days ago" +%Y-%m-%dT10:00:00Z)
  id=$(adm POST incidents "{\"name\":\"E $i <&>\",\"impact\":\"minor\",\"body\":\"Investigating <x> & \\\"y\\\"\",\"components\":{\"component-1-$(( i % 3 + 1 ))\":\"degraded_performance\"},\"started_at\":\"$st\",\"display_at\":\"$st\"}" |
    grep -o '"id":"[a-z0-9]*"' | head -1 | cut -d'"' -f4)
  for path in / /history /history.atom /api/v2/summary.json "/incidents/$id"; do curl -s -H 'Accept-Encoding: gzip' "http://127.0.0.1:19093$path" >/dev/null; done
  for k in 1 2 3; do
    adm POST "incidents/$id/updates" "{\"status\":\"identified\",\"body\":\"Update $k ]]> ü\"}" >/dev/null
    curl -s -H 'Accept-Encoding: gzip' http://127.0.0.1:19093/ >/dev/null
  done
  [ $((i % 2)) = 0 ] && adm POST "incidents/$id/resolve" "{\"body\":\"Resolved.\"}" >/dev/null
done
list=$(paths 19093)
answers 19093 "$d/live.txt" $list
kill $p; wait $p 2>/dev/null
cp -r "$d/a" "$d/b"
"$NEW" serve --config "$d/b/headroom.yaml" --listen 127.0.0.1:19094 > "$d/fresh.log" 2>&1 &
up 19094
answers 19094 "$d/fresh.txt" $list
n=$(diff "$d/live.txt" "$d/fresh.txt" | grep -c '^>')
diff "$d/live.txt" "$d/fresh.txt" | grep '^>' | sed 's/^> /DIFF live /' | cut -d' ' -f1-4
echo "$n of $(wc -l < "$d/live.txt") answers differ between live writes and a fresh render"
