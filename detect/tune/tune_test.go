package tune

import (
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/headroomhq/headroom"
	"github.com/headroomhq/headroom/detect"
	"github.com/headroomhq/headroom/policy"
)

var day0 = time.Date(2021, 6, 30, 0, 0, 0, 0, time.UTC)

const serviceYAML = `apiVersion: headroom.dev/v1alpha1
kind: Service
metadata:
  name: web
spec:
  capacityPerInstance: 100
  startupDelay: 3m
  baseLatency: 80ms
  slo:
    maxErrorRatio: 0.001
    maxLatency: 250ms
`

// A policy that keeps the SLO on the synthetic day: a floor above the
// day's peak need, and target tracking above it.
const policyYAML = `apiVersion: headroom.dev/v1alpha1
kind: ScalingPolicy
metadata:
  name: web
spec:
  minInstances: 30
  maxInstances: 60
  targetTracking:
    metric: cpu
    target: 60
`

// synthDay is a day of traffic every 15 s: a daily cycle between 1,000
// and 2,000 req/s.
func synthDay(name string, days int) *headroom.Series {
	s := &headroom.Series{Name: name, Start: day0, Step: 15 * time.Second}
	for i := range days * 5760 {
		h := float64(i) / 240
		rate := 1500 + 500*math.Sin(2*math.Pi*(h-9)/24)
		s.Counts = append(s.Counts, rate*15)
	}
	return s
}

func inputs(t *testing.T) (*headroom.Service, *headroom.Policy) {
	t.Helper()
	f, err := policy.Parse("service.yaml", []byte(serviceYAML))
	if err != nil {
		t.Fatal(err)
	}
	p, err := policy.ParsePolicy("policy.yaml", []byte(policyYAML))
	if err != nil {
		t.Fatal(err)
	}
	return f.Services[0], p
}

// The tuned rule catches every burst, pages on no blip and on no normal
// day, and is at least as fast as the workbook's pairs — which it could
// fail to be: the grid holds the workbook's own 1h & 5m pair at 14.4
// (without its `for`), and the search could pick a slower rule.
func TestTuneCatchesBurstsNotBlips(t *testing.T) {
	svc, pol := inputs(t)
	res, err := Run(Options{Service: svc, Policy: pol, Traffic: []*headroom.Series{synthDay("day.csv", 1)}})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Found {
		t.Fatalf("no rule found: %+v", res.Rows)
	}
	// The workbook's fast pair, 1h & 5m at 14.4, is Sloth's default page
	// pair (the workbook's own table).
	tuned, workbook := res.Rows[0], row(t, res, "Sloth page 1h&5m 14.4")
	t.Logf("tuned %s: %+v", Describe(res.Rule), tuned.Score)
	t.Logf("workbook: %+v", workbook.Score)
	if tuned.Caught != tuned.Bursts || tuned.Bursts != DefaultBursts {
		t.Errorf("tuned caught %d of %d bursts, want all %d", tuned.Caught, tuned.Bursts, DefaultBursts)
	}
	if tuned.False() != 0 {
		t.Errorf("tuned paged falsely: normal %d, blips %d, bursts %d", tuned.FalseNormal, tuned.FalseBlips, tuned.FalseBursts)
	}
	if workbook.Caught > 0 && tuned.DetectMedian > workbook.DetectMedian {
		t.Errorf("tuned median detection %s, slower than the workbook pair's %s", tuned.DetectMedian, workbook.DetectMedian)
	}
	if res.Rule.KeepFiringFor <= 0 || res.Rule.Name != TunedName {
		t.Errorf("rule %+v: want a reset and the name %s", res.Rule, TunedName)
	}
	if err := detect.Validate(res.Rule); err != nil {
		t.Errorf("tuned rule: %v", err)
	}
}

func row(t *testing.T, res *Result, name string) Row {
	t.Helper()
	for _, r := range res.Rows {
		if r.Name == name {
			return r
		}
	}
	t.Fatalf("no row %q in %v", name, res.Rows)
	return Row{}
}

func TestTuneRefusesLessThanADay(t *testing.T) {
	svc, pol := inputs(t)
	short := synthDay("short.csv", 1)
	short.Counts = short.Counts[:5759] // a day less 15 s
	_, err := Run(Options{Service: svc, Policy: pol, Traffic: []*headroom.Series{synthDay("day.csv", 1), short}})
	var he *headroom.Error
	if !errors.As(err, &he) || he.Code != headroom.EINVALID {
		t.Fatalf("got %v, want EINVALID", err)
	}
	for _, want := range []string{"short.csv", "23h59m45s", "24h"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %q", err, want)
		}
	}
}
