//go:build linux

package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/headroomhq/headroom/controller"
	"github.com/headroomhq/headroom/internal/pgtest"
)

// shardedAPI answers Prometheus' query_range API for several targets: the
// query names its target (target="web-3"); demand is one for all, which
// the test changes, and cpu is that demand on the target's own count.
type shardedAPI struct {
	mu     sync.Mutex
	demand float64
	counts map[string]string // target -> its fleet's count file
}

var queryTarget = regexp.MustCompile(`target="([^"]+)"`)

func (a *shardedAPI) set(demand float64) {
	a.mu.Lock()
	a.demand = demand
	a.mu.Unlock()
}

func (a *shardedAPI) serve(t *testing.T) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.mu.Lock()
		v := a.demand
		a.mu.Unlock()
		q := r.FormValue("query")
		if !strings.Contains(q, "requests") {
			var n float64
			if m := queryTarget.FindStringSubmatch(q); m != nil {
				data, _ := os.ReadFile(a.counts[m[1]])
				fmt.Sscan(string(data), &n)
			}
			v = min(100, v/max(n, 1))
		}
		now := time.Now().Unix()
		var values [][2]any
		for ts := now - 30; ts <= now; ts += 5 {
			values = append(values, [2]any{ts, fmt.Sprint(v)})
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"status": "success", "data": map[string]any{
			"resultType": "matrix", "result": []any{map[string]any{"metric": map[string]string{}, "values": values}}}})
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// shardedConfig writes a headroom.yaml of targets web-0... on a 1 s loop,
// each with its own fleet, sharded into shards with a 3 s lease.
func shardedConfig(t *testing.T, dir, db string, targets, shards int) (string, *shardedAPI, map[string]fleetFiles) {
	t.Helper()
	cfg := processConfig(t, dir, "http://unused", "") // the service and policy files
	fleets := map[string]fleetFiles{}
	api := &shardedAPI{demand: 1200, counts: map[string]string{}}
	url := api.serve(t)
	var b strings.Builder
	fmt.Fprintf(&b, "apiVersion: headroom.dev/v1alpha1\nkind: Config\nspec:\n  dataDir: data\n  loopInterval: 1s\n  database: %s\n  leaseDuration: 3s\n  shards: %d\n  targets:\n", db, shards)
	for i := range targets {
		name := fmt.Sprintf("web-%d", i)
		fdir := filepath.Join(dir, name)
		os.MkdirAll(fdir, 0o755)
		f := newFleet(t, fdir, 20)
		fleets[name], api.counts[name] = f, f.count
		fmt.Fprintf(&b, `  - name: %[1]s
    mode: enforce
    service: service.yaml
    policy: policy.yaml
    prometheus:
      url: %[2]s
      demand: sum(rate(http_requests_total{target="%[1]s"}[1m]))
      utilization: avg(cpu{target="%[1]s"})
      window: 5s
    command:
      scale: ["%[3]s"]
      read: ["%[4]s"]
      timeout: 1h
      retries: 0
`, name, url, filepath.Join(fdir, "scale.sh"), filepath.Join(fdir, "read.sh"))
	}
	if err := os.WriteFile(cfg, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return cfg, api, fleets
}

var shardsLine = regexp.MustCompile(`msg="shards: acting on the targets of these" holder=\S+ held=\d+ of=\d+ replicas=\d+ shards="?([0-9,]*)"?`)

// heldBy returns the shards p said last it acts on.
func heldBy(p *proc) []int {
	m := shardsLine.FindAllStringSubmatch(p.output(), -1)
	if len(m) == 0 {
		return nil
	}
	var held []int
	for _, f := range strings.Split(m[len(m)-1][1], ",") {
		if n, err := strconv.Atoi(f); err == nil {
			held = append(held, n)
		}
	}
	return held
}

// shared reports whether procs hold every one of shards between them, none
// twice, each floor or ceil of shards/len(procs).
func shared(shards int, procs ...*proc) bool {
	seen := make([]bool, shards)
	for _, p := range procs {
		held := heldBy(p)
		if len(held) < shards/len(procs) || len(held) > (shards+len(procs)-1)/len(procs) {
			return false
		}
		for _, n := range held {
			if seen[n] {
				return false
			}
			seen[n] = true
		}
	}
	return !slices.Contains(seen, false)
}

// Sharded replicas on one PostgreSQL act at the same time, each on the
// targets of its shards: two share them; a third joins and gets its share;
// kill -9 of one and the others take its shards within the lease (3 s) and
// a loop. Every target is scaled by one process only, once per change,
// and each action is recorded once.
func TestShardedReplicasShareTheTargets(t *testing.T) {
	const targets, shards = 12, 8
	db := pgtest.NewDatabase(t)
	dir := t.TempDir()
	cfg, api, fleets := shardedConfig(t, dir, db, targets, shards)
	a, b := spawn(t, "a", "serve", "--config", cfg, "--listen", ""), spawn(t, "b", "serve", "--config", cfg, "--listen", "")
	waitFor(t, 30*time.Second, "a and b share the shards", func() bool { return shared(shards, a, b) }, a, b)

	pid := func(p *proc) string { return fmt.Sprint(p.cmd.Process.Pid) }
	// scaledTo waits for every target at want, and returns each one's
	// calls.
	scaledTo := func(want string, procs ...*proc) map[string][]string {
		t.Helper()
		waitFor(t, 30*time.Second, "every target at "+want, func() bool {
			for _, f := range fleets {
				if data, _ := os.ReadFile(f.count); string(data) != want {
					return false
				}
			}
			return true
		}, procs...)
		calls := map[string][]string{}
		for name, f := range fleets {
			calls[name] = f.lines()
		}
		return calls
	}
	api.set(2040) // 102% of 20 instances: 34 are needed (30 first while the metrics' window moves)
	before := scaledTo("34", a, b)
	for name, cs := range before {
		for _, c := range cs {
			if !strings.HasPrefix(c, pid(a)+"_") && !strings.HasPrefix(c, pid(b)+"_") {
				t.Errorf("%s: call %s in %v, want every call by a (%s) or b (%s)", name, c, cs, pid(a), pid(b))
			}
		}
	}

	c := spawn(t, "c", "serve", "--config", cfg, "--listen", "")
	waitFor(t, 30*time.Second, "c joins: a, b and c share the shards", func() bool { return shared(shards, a, b, c) }, a, b, c)

	killed := time.Now()
	b.kill()
	waitFor(t, 15*time.Second, "a and c take b's shards", func() bool { return shared(shards, a, c) }, a, c)
	if took := time.Since(killed); took > 3*time.Second+time.Second+2*time.Second {
		t.Errorf("b's shards taken over after %s, want within the lease (3s), a loop (1s) and slack", took)
	}

	// Each target is scaled by the owner of its shard, and only by it.
	owner := map[int]string{}
	for _, p := range []*proc{a, c} {
		for _, n := range heldBy(p) {
			owner[n] = pid(p)
		}
	}
	api.set(3060) // 90% of 34: 51 wanted, 50 at most
	calls := scaledTo("50", a, c)
	for name, cs := range calls {
		want := owner[controller.ShardOf(name, shards)] + "_50"
		if len(cs) != len(before[name])+1 || cs[len(cs)-1] != want {
			t.Errorf("%s (shard %d): calls %v, want %v then %s, by its shard's owner", name, controller.ShardOf(name, shards), cs, before[name], want)
		}
	}

	// Each action reached the platform once and is in the journal once.
	for name, cs := range calls {
		var made []string
		for _, c := range cs {
			made = append(made, strings.SplitN(c, "_", 2)[1])
		}
		code, out, stderr := run(t, "decisions", name, "--config", cfg, "--format", "json", "--since", "1h")
		var recs []map[string]any
		if code != ExitPass || json.Unmarshal([]byte(out), &recs) != nil {
			t.Fatalf("decisions %s: exit %d\n%s%s", name, code, out, stderr)
		}
		var applied []string
		for _, r := range recs {
			if r["applied"] == true {
				applied = append(applied, fmt.Sprint(r["decision"].(map[string]any)["desired"]))
			}
		}
		if fmt.Sprint(applied) != fmt.Sprint(made) {
			t.Errorf("%s: applied decisions %v in %d records, calls %v: want one record per call", name, applied, len(recs), cs)
		}
	}
}

// Regression test for a serve without spec.shards started beside sharded
// replicas: it took the one lease and acted on every target, the
// replicas' too. Now serve --once refuses (exit 2, saying why), and a
// long-running one stands down loop after loop, while the replica keeps its
// shards.
func TestUnshardedServeBesideShardedReplicas(t *testing.T) {
	const targets, shards = 4, 4
	db := pgtest.NewDatabase(t)
	dir := t.TempDir()
	cfg, _, _ := shardedConfig(t, dir, db, targets, shards)
	a := spawn(t, "a", "serve", "--config", cfg, "--listen", "")
	waitFor(t, 30*time.Second, "a holds every shard", func() bool { return len(heldBy(a)) == shards }, a)

	data, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	unsharded := filepath.Join(dir, "unsharded.yaml")
	os.WriteFile(unsharded, []byte(strings.Replace(string(data), fmt.Sprintf("  shards: %d\n", shards), "", 1)), 0o644)
	code, out, stderr := run(t, "serve", "--once", "--config", unsharded)
	if code != ExitInvalid || !strings.Contains(stderr, "runs with spec.shards") {
		t.Errorf("serve --once without shards beside a sharded replica: exit %d\n%s%s\nwant 2 and why", code, out, stderr)
	}

	b := spawn(t, "b", "serve", "--config", unsharded, "--listen", "")
	standsDown := regexp.MustCompile(`msg="lease: not acting: serve process \S+ runs with spec.shards`)
	waitFor(t, 30*time.Second, "b stands down twice", func() bool { return len(standsDown.FindAllString(b.output(), -1)) >= 2 }, a, b)
	if strings.Contains(b.output(), "lease acquired") {
		t.Errorf("b, without shards, took the lease beside a sharded replica:\n%s", b.output())
	}
	if held := heldBy(a); len(held) != shards {
		t.Errorf("a holds shards %v beside b, want all %d", held, shards)
	}
}

// serve --once with spec.shards beside a running replica holding every
// shard: it does not join the replicas (TestShardsOnceMovesNoShard checks
// that a balance during its run moves nothing), so it finds no free shard,
// exits 2 saying so, and the replica keeps its shards.
func TestShardedOnceBesideAReplica(t *testing.T) {
	const targets, shards = 4, 4
	db := pgtest.NewDatabase(t)
	cfg, _, _ := shardedConfig(t, t.TempDir(), db, targets, shards)
	a := spawn(t, "a", "serve", "--config", cfg, "--listen", "")
	waitFor(t, 30*time.Second, "a holds every shard", func() bool { return len(heldBy(a)) == shards }, a)
	code, out, stderr := run(t, "serve", "--once", "--config", cfg)
	if code != ExitInvalid || !strings.Contains(stderr, "the running replicas hold them all") {
		t.Errorf("serve --once beside a replica holding every shard: exit %d\n%s%s\nwant 2 and why", code, out, stderr)
	}
	logged := len(shardsLine.FindAllString(a.output(), -1))
	time.Sleep(2500 * time.Millisecond) // two of a's loops
	if held, n := heldBy(a), len(shardsLine.FindAllString(a.output(), -1)); len(held) != shards || n != logged {
		t.Errorf("a holds %v after the once run (%d changes logged, %d before), want all %d, unchanged", held, n, logged, shards)
	}
}
