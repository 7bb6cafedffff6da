package tune

import (
	"strings"
	"testing"
	"time"

	"github.com/headroomhq/headroom"
	"github.com/headroomhq/headroom/detect"
	"github.com/headroomhq/headroom/policy"
)

const commented = `# The web frontend.
apiVersion: headroom.dev/v1alpha1
kind: Service
metadata:
  name: web   # the target
spec:
  capacityPerInstance: 100   # req/s per instance
  startupDelay: 3m
  baseLatency: 80ms
  slo:
    maxErrorRatio: 0.001     # 99.9%
    maxLatency: 250ms
# A comment after the spec, at the top level.
`

func TestWriteDetectionKeepsTheFile(t *testing.T) {
	fast := detect.Rule{Name: TunedName, Long: time.Minute, Short: 30 * time.Second, Factor: 14.4, For: time.Minute,
		KeepFiringFor: time.Minute, Severity: headroom.SeverityPage}
	rules := Written(fast, 250*time.Millisecond)
	added, err := WriteDetection("service.yaml", []byte(commented), rules, "tuned by headroom detect tune")
	if err != nil {
		t.Fatal(err)
	}
	// Every line of the original is still there, in order, and the block
	// sits at the end of spec, before the top-level comment.
	got := string(added)
	if !strings.HasPrefix(got, strings.Split(commented, "# A comment after")[0]) || !strings.HasSuffix(got, "# A comment after the spec, at the top level.\n") {
		t.Errorf("the rest of the file changed:\n%s", got)
	}
	if !strings.Contains(got, "  detection:\n    # tuned by headroom detect tune\n    rules:\n    - name: fast\n      long: 1m\n      short: 30s\n      factor: 14.4\n") {
		t.Errorf("block:\n%s", got)
	}
	// Written again with other rules: the block is replaced, not added.
	slower := fast
	slower.For = 2 * time.Minute
	again, err := WriteDetection("service.yaml", added, Written(slower, 250*time.Millisecond), "again")
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(again), "detection:"); n != 1 {
		t.Errorf("got %d detection blocks, want 1:\n%s", n, again)
	}
	want := strings.Replace(strings.Replace(got, "for: 1m\n", "for: 2m\n", 1), "# tuned by headroom detect tune", "# again", 1)
	if string(again) != want {
		t.Errorf("replaced:\n%s\nwant:\n%s", again, want)
	}
	f, err := policy.Parse("service.yaml", again)
	if err != nil {
		t.Fatal(err)
	}
	if d := f.Services[0].Detection; len(d) != len(rules) || d[0].For != 2*time.Minute {
		t.Errorf("read back %+v", d)
	}
}

func TestWriteDetectionNeedsAService(t *testing.T) {
	_, err := WriteDetection("policy.yaml", []byte(policyYAML), nil, "")
	if err == nil || !strings.Contains(err.Error(), "policy.yaml") {
		t.Fatalf("got %v, want an error naming the file", err)
	}
}
