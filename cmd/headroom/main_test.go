package main

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

const example = "../../examples/bitbucket-2021-06-30/"

// run executes the CLI in-process and returns its exit code and outputs.
func run(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := Run(context.Background(), args, strings.NewReader(""), &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

func exampleArgs(proposed string) []string {
	return []string{"check", "--service", example + "service.yaml", "--baseline", example + "baseline.yaml",
		"--proposed", example + proposed, "--traffic", example + "traffic.csv"}
}

func TestCheckExampleFails(t *testing.T) {
	code, out, stderr := run(t, append(exampleArgs("proposed.yaml"), "--format", "json")...)
	if code != ExitFail {
		t.Fatalf("exit code: got %d, want 1\n%s", code, stderr)
	}
	var rep struct {
		Verdict  string `json:"verdict"`
		Policies []struct {
			Role       string `json:"role"`
			Verdict    string `json:"verdict"`
			Violations []struct {
				Start           time.Time `json:"start"`
				End             time.Time `json:"end"`
				WorstErrorRatio float64   `json:"worstErrorRatio"`
				WorstLatencyMs  float64   `json:"worstLatencyMs"`
				ReadyInstances  int       `json:"readyInstances"`
				NeededInstances int       `json:"neededInstances"`
			} `json:"violations"`
			Totals struct {
				Requests       float64 `json:"requests"`
				FailedRequests float64 `json:"failedRequests"`
				InstanceHours  float64 `json:"instanceHours"`
			} `json:"totals"`
		} `json:"policies"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("json: %v\n%s", err, out)
	}
	if rep.Verdict != "fail" || len(rep.Policies) != 2 || rep.Policies[0].Role != "proposed" {
		t.Fatalf("got verdict %q and %d policies", rep.Verdict, len(rep.Policies))
	}
	p := rep.Policies[0]
	if len(p.Violations) == 0 {
		t.Fatal("no violations in JSON")
	}
	v := p.Violations[0]
	if v.Start.UTC().Format("15:04") < "17:00" || v.Start.UTC().Format("15:04") > "17:09" || v.Start.Format("2006-01-02") != "2021-06-30" {
		t.Errorf("first violation starts %s, want 2021-06-30 17:0x UTC", v.Start)
	}
	if v.ReadyInstances >= v.NeededInstances || v.WorstErrorRatio <= 0.001 {
		t.Errorf("violation: ready %d needed %d error ratio %v", v.ReadyInstances, v.NeededInstances, v.WorstErrorRatio)
	}
	if p.Totals.Requests <= 0 || p.Totals.FailedRequests <= 0 || p.Totals.InstanceHours <= 0 {
		t.Errorf("totals: %+v", p.Totals)
	}
	if rep.Policies[1].Verdict != "pass" {
		t.Errorf("baseline verdict: got %s, want pass", rep.Policies[1].Verdict)
	}
}

func TestCheckBaselineAsProposedPasses(t *testing.T) {
	code, out, stderr := run(t, exampleArgs("baseline.yaml")...)
	if code != ExitPass {
		t.Fatalf("exit code: got %d, want 0\n%s%s", code, out, stderr)
	}
}

func TestCheckTextNamesTheTimeInBothZones(t *testing.T) {
	code, out, _ := run(t, exampleArgs("proposed.yaml")...)
	if code != ExitFail {
		t.Fatalf("exit code %d", code)
	}
	for _, want := range []string{"17:0", "night-savings", "Australia/Sydney", "America/Los_Angeles"} {
		if !strings.Contains(out, want) {
			t.Errorf("text report does not mention %q:\n%s", want, out)
		}
	}
}

func TestCheckWritesReports(t *testing.T) {
	dir := t.TempDir()
	junit, html, md := filepath.Join(dir, "junit.xml"), filepath.Join(dir, "check.html"), filepath.Join(dir, "comment.md")
	code, _, stderr := run(t, append(exampleArgs("proposed.yaml"), "--junit", junit, "--report", html, "--format", "markdown", "-o", md)...)
	if code != ExitFail {
		t.Fatalf("exit code %d: %s", code, stderr)
	}
	data, err := os.ReadFile(junit)
	if err != nil {
		t.Fatal(err)
	}
	var suites struct {
		Failures int `xml:"failures,attr"`
		Tests    int `xml:"tests,attr"`
	}
	if err := xml.Unmarshal(data, &suites); err != nil || suites.Failures < 1 {
		t.Errorf("junit: %v, failures %d\n%s", err, suites.Failures, data)
	}
	page, err := os.ReadFile(html)
	if err != nil || !bytes.Contains(page, []byte("<svg")) {
		t.Errorf("html report: %v, has svg: %v", err, bytes.Contains(page, []byte("<svg")))
	}
	comment, err := os.ReadFile(md)
	if err != nil || !bytes.Contains(comment, []byte("|")) {
		t.Errorf("markdown: %v\n%s", err, comment)
	}
}

func TestBadInputExitsTwo(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("apiVersion: headroom.dev/v1alpha1\nkind: ScalingPolicy\nspec:\n  minInstances: 1\n  maxInstances: 0\n"), 0o644)
	badCSV := filepath.Join(dir, "bad.csv")
	os.WriteFile(badCSV, []byte("timestamp,requests\n2021-06-30T00:00:00Z,5\n2021-06-30T00:00:15Z,-3\n"), 0o644)
	out := filepath.Join(dir, "out.json")
	tests := []struct {
		name string
		args []string
		want string // in stderr
	}{
		{"invalid policy names file and line", []string{"check", "--service", example + "service.yaml", "--proposed", bad, "--traffic", example + "traffic.csv", "-o", out},
			"bad.yaml:5: spec.maxInstances"},
		{"invalid traffic names file and line", []string{"check", "--service", example + "service.yaml", "--proposed", example + "proposed.yaml", "--traffic", badCSV, "-o", out},
			"bad.csv:3"},
		{"missing traffic file", []string{"check", "--service", example + "service.yaml", "--proposed", example + "proposed.yaml", "--traffic", filepath.Join(dir, "nope.csv"), "-o", out},
			"nope.csv"},
		{"no traffic flag", []string{"check", "--service", example + "service.yaml", "--proposed", example + "proposed.yaml"}, "Try: "},
		{"unknown flag", []string{"check", "--proposd", "x"}, "unknown flag"},
		{"bad format", append(exampleArgs("proposed.yaml"), "--format", "yaml"), `--format "yaml"`},
		{"service file that is a policy", []string{"check", "--service", example + "proposed.yaml", "--proposed", example + "proposed.yaml", "--traffic", example + "traffic.csv"},
			"kind Service"},
		{"unknown command", []string{"chek"}, "unknown command"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := run(t, tc.args...)
			if code != ExitInvalid {
				t.Errorf("exit code: got %d, want 2", code)
			}
			if !strings.Contains(stderr, tc.want) {
				t.Errorf("stderr does not contain %q:\n%s", tc.want, stderr)
			}
			if _, err := os.Stat(out); err == nil {
				t.Errorf("an output file was written for bad input")
			}
		})
	}
}

func TestValidate(t *testing.T) {
	code, out, stderr := run(t, "validate", example+"service.yaml", example+"baseline.yaml", example+"proposed.yaml")
	if code != ExitPass || strings.Count(out, ": ok:") != 3 {
		t.Errorf("valid files: exit %d\n%s%s", code, out, stderr)
	}
	dir := t.TempDir()
	bad := filepath.Join(dir, "p.yaml")
	os.WriteFile(bad, []byte("apiVersion: headroom.dev/v1alpha1\nkind: ScalingPolicy\nspec:\n  minInstances: 1\n  maxInstances: 3\n  schedules:\n  - name: n\n    cron: 0 3 * *\n    timeZone: Mars/Olympus\n"), 0o644)
	code, _, stderr = run(t, "validate", bad)
	if code != ExitInvalid || !strings.Contains(stderr, "p.yaml:8: spec.schedules[0].cron") || !strings.Contains(stderr, "p.yaml:9: spec.schedules[0].timeZone") {
		t.Errorf("invalid file: exit %d\n%s", code, stderr)
	}
}

// Regression test for the exec actuator's placeholder check, which config
// made while it imported actuator/exec: validate and serve still ask the
// actuator and report at the command's line.
func TestValidateConfigAsksTheActuator(t *testing.T) {
	cfg := writeServeConfig(t)
	data, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(cfg, []byte(strings.Replace(string(data), `scale.sh"]`, `scale.sh", "{{count}}"]`, 1)), 0o644)
	for _, cmd := range [][]string{{"validate", cfg}, {"serve", "--once", "--config", cfg}} {
		code, _, stderr := run(t, cmd...)
		want := "headroom.yaml:16: spec.targets[0].command: expected a command the exec actuator accepts"
		if code != ExitInvalid || !strings.Contains(stderr, want) || !strings.Contains(stderr, "{{count}}") {
			t.Errorf("%s: exit %d, want %d and %q naming the placeholder:\n%s", cmd[0], code, ExitInvalid, want, stderr)
		}
	}
}

func TestSimulateTimeline(t *testing.T) {
	dir := t.TempDir()
	tl := filepath.Join(dir, "timeline.csv")
	code, out, stderr := run(t, "simulate", "--service", example+"service.yaml", "--policy", example+"proposed.yaml",
		"--traffic", example+"traffic.csv", "--timeline", tl, "--report", filepath.Join(dir, "sim.html"))
	if code != ExitPass {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	data, err := os.ReadFile(tl)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	if len(lines) != 86400+1 {
		t.Errorf("timeline: got %d lines, want a header and 86400 seconds", len(lines))
	}
	if !strings.HasPrefix(lines[0], "traffic,time,demand_rps,ready,launching") {
		t.Errorf("header: %s", lines[0])
	}
	// 17:00:30 UTC: after the cut, requests fail.
	row := lines[1+17*3600+30]
	if !strings.Contains(row, "2021-06-30T17:00:30Z") {
		t.Fatalf("row for 17:00:30: %s", row)
	}
	if f := strings.Split(row, ","); f[3] != "12" {
		t.Errorf("ready instances at 17:00:30: got %s, want 12 (%s)", f[3], row)
	}
	if !strings.Contains(out, "fail") {
		t.Errorf("summary does not show the violation:\n%s", out)
	}
}

func TestVersionAndHelp(t *testing.T) {
	code, out, _ := run(t, "version")
	if code != 0 || !strings.HasPrefix(out, "headroom ") {
		t.Errorf("version: %d %q", code, out)
	}
	code, out, _ = run(t, "check", "--help")
	if code != 0 || !strings.Contains(out, "Exit codes") || !strings.Contains(out, "--baseline") {
		t.Errorf("check --help: %d\n%s", code, out)
	}
}

func TestCheckTrafficFormatsAndTransforms(t *testing.T) {
	dir := t.TempDir()
	// A Common Log Format access log and a Prometheus range query over the
	// same quiet hour: read through format detection, judged like a CSV.
	var clf, prom strings.Builder
	prom.WriteString(`{"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[`)
	start := time.Date(2021, 6, 30, 17, 0, 0, 0, time.UTC)
	for i := 0; i < 600; i++ {
		ts := start.Add(time.Duration(i) * time.Second)
		for j := 0; j < 3; j++ {
			clf.WriteString(`10.0.0.1 - - [` + ts.Format("02/Jan/2006:15:04:05 -0700") + `] "GET / HTTP/1.1" 200 512` + "\n")
		}
		if i%15 == 0 {
			if i > 0 {
				prom.WriteString(",")
			}
			prom.WriteString(`[` + strconv.FormatInt(ts.Unix(), 10) + `,"1200"]`)
		}
	}
	prom.WriteString(`]}]}}`)
	logPath, promPath := filepath.Join(dir, "access.log"), filepath.Join(dir, "range.json")
	os.WriteFile(logPath, []byte(clf.String()), 0o644)
	os.WriteFile(promPath, []byte(prom.String()), 0o644)

	code, out, stderr := run(t, "check", "--service", example+"service.yaml", "--proposed", example+"proposed.yaml",
		"--traffic", logPath, "--traffic", promPath, "--format", "json")
	if code != ExitFail {
		t.Fatalf("exit %d, want 1: 1200 req/s at 17:00 UTC on 12 instances fails\n%s", code, stderr)
	}
	var rep struct {
		Traffic []struct {
			Name     string  `json:"name"`
			Requests float64 `json:"requests"`
		} `json:"traffic"`
		Policies []struct {
			Violations []struct {
				Traffic string `json:"traffic"`
			} `json:"violations"`
		} `json:"policies"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Traffic) != 2 || rep.Traffic[0].Requests != 1800 || rep.Traffic[1].Requests != 1200*600 {
		t.Errorf("traffic: got %+v, want the log's 1800 requests and the query's 1200 req/s × 600 s", rep.Traffic)
	}
	// The log's 3 req/s is nothing; the query's 1200 req/s overwhelms 12 instances.
	for _, v := range rep.Policies[0].Violations {
		if v.Traffic != promPath {
			t.Errorf("violation on %s, want only on %s", v.Traffic, promPath)
		}
	}

	// Scaled down to a third, the same cut leaves enough capacity.
	code, _, stderr = run(t, "check", "--service", example+"service.yaml", "--proposed", example+"proposed.yaml",
		"--traffic", promPath, "--scale", "0.3")
	if code != ExitPass {
		t.Errorf("--scale 0.3: exit %d, want 0\n%s", code, stderr)
	}
	// A shift keeps the day's busy 17:00; a fractional one is refused.
	code, _, _ = run(t, "check", "--service", example+"service.yaml", "--proposed", example+"proposed.yaml",
		"--traffic", example+"traffic.csv", "--shift", "30s")
	if code != ExitFail {
		t.Errorf("--shift 30s: exit %d, want 1 (the day still holds 17:00)", code)
	}
	code, _, stderr = run(t, "check", "--service", example+"service.yaml", "--proposed", example+"proposed.yaml",
		"--traffic", example+"traffic.csv", "--shift", "1.5s")
	if code != ExitInvalid || !strings.Contains(stderr, "whole seconds") {
		t.Errorf("--shift 1.5s: exit %d, want 2 with a message\n%s", code, stderr)
	}
}

const hpaBaseline = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 40
  template: {}
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: web
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  minReplicas: 20
  maxReplicas: 120
  metrics:
  - type: Resource
    resource: {name: cpu, target: {type: Utilization, averageUtilization: 60}}
`

// The pull request: a higher CPU target and a scale-up limited to one pod
// a minute, "to avoid flapping".
const hpaProposed = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 40
  template: {}
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: web
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  minReplicas: 10
  maxReplicas: 120
  metrics:
  - type: Resource
    resource: {name: cpu, target: {type: Utilization, averageUtilization: 85}}
  behavior:
    scaleUp:
      policies:
      - {type: Pods, value: 1, periodSeconds: 60}
`

func gitRun(t *testing.T, dir string, args ...string) {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
}

func TestCheckHPAWithBaselineGit(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("git is required under CI")
		}
		t.Skip("no git")
	}
	repo := t.TempDir()
	hpa := filepath.Join(repo, "deploy", "hpa.yaml")
	os.MkdirAll(filepath.Dir(hpa), 0o755)
	os.WriteFile(hpa, []byte(hpaBaseline), 0o644)
	gitRun(t, repo, "init", "-q", "-b", "main")
	gitRun(t, repo, "add", ".")
	gitRun(t, repo, "commit", "-q", "-m", "hpa")
	args := []string{"check", "--service", example + "service.yaml", "--proposed", hpa, "--baseline-git", "main",
		"--traffic", example + "traffic.csv", "--format", "json"}

	// Unchanged: the proposed file is the baseline, and it holds the SLO.
	code, out, stderr := run(t, args...)
	if code != ExitPass {
		t.Fatalf("unchanged HPA: exit %d\n%s%s", code, out, stderr)
	}
	// The pull request's change: caught.
	os.WriteFile(hpa, []byte(hpaProposed), 0o644)
	code, out, stderr = run(t, args...)
	if code != ExitFail {
		t.Fatalf("proposed HPA: exit %d, want 1\n%s", code, stderr)
	}
	var rep struct {
		Policies []struct {
			File           string `json:"file"`
			Role           string `json:"role"`
			ViolationCount int    `json:"violationCount"`
		} `json:"policies"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Policies) != 2 || rep.Policies[1].File != "main:deploy/hpa.yaml" || rep.Policies[0].ViolationCount == 0 || rep.Policies[1].ViolationCount != 0 {
		t.Errorf("policies: %+v", rep.Policies)
	}
	// A ref that does not exist is bad input; a file new in the branch
	// is checked alone.
	if code, _, stderr := run(t, append(args[:len(args)-2], "--baseline-git", "nope")...); code != ExitInvalid || !strings.Contains(stderr, "no such commit") {
		t.Errorf("unknown ref: exit %d\n%s", code, stderr)
	}
	fresh := filepath.Join(repo, "deploy", "new.yaml")
	os.WriteFile(fresh, []byte(hpaBaseline), 0o644)
	code, _, stderr = run(t, "check", "--service", example+"service.yaml", "--proposed", fresh, "--baseline-git", "main", "--traffic", example+"traffic.csv")
	if code != ExitPass || !strings.Contains(stderr, "does not exist") {
		t.Errorf("new file: exit %d\n%s", code, stderr)
	}
}

func TestCheckGuards(t *testing.T) {
	code, out, stderr := run(t, append(exampleArgs("proposed.yaml"), "--guards")...)
	if code != ExitPass || !strings.Contains(out, "guards=on") {
		t.Errorf("--guards: exit %d, want 0 with the option shown\n%s%s", code, out, stderr)
	}
	if code, _, stderr := run(t, append(exampleArgs("proposed.yaml"), "--guards", "--guard-margin", "-1")...); code != ExitInvalid {
		t.Errorf("negative margin: exit %d\n%s", code, stderr)
	}
}

// validate says, per target, which metrics serve reads and which it
// derives: a cpu policy with only a demand query gets cpu from demand.
func TestValidateSaysWhatIsDerived(t *testing.T) {
	cfg := writeServeConfig(t)
	data, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(cfg, []byte(strings.Replace(string(data), "      utilization: avg(cpu)\n", "", 1)), 0o644)
	code, out, stderr := run(t, "validate", cfg)
	want := "target web: reads demand from Prometheus; derives cpu from demand and ready capacity"
	if code != ExitPass || !strings.Contains(out, want) {
		t.Errorf("exit %d, want %q:\n%s%s", code, want, out, stderr)
	}
}

// --fail-on regression, --from/--until and --exclude are echoed in every
// output; bad values are usage errors.
func TestCheckJudgementFlags(t *testing.T) {
	args := []string{"check", "--service", example + "service.yaml", "--baseline", example + "proposed.yaml", "--proposed", example + "proposed.yaml",
		"--traffic", example + "traffic.csv", "--fail-on", "regression", "--tolerance", "0.05", "--from", "2021-06-30T12:00", "--exclude", "2021-06-30T20:00/2021-06-30T21:00"}
	code, out, stderr := run(t, args...)
	if code != ExitPass || !strings.Contains(out, "note: ") || !strings.Contains(out, "Judged: fail on regression only") || !strings.Contains(out, "from=2021-06-30T12:00:00Z") {
		t.Errorf("text: exit %d\n%s%s", code, out, stderr)
	}
	code, out, _ = run(t, append(args, "--format", "json")...)
	if code != ExitPass || !strings.Contains(out, `"failOn": "regression"`) || !strings.Contains(out, `"excluded": [`) || !strings.Contains(out, `"notes": [`) {
		t.Errorf("json: exit %d\n%s", code, out)
	}
	code, out, _ = run(t, append(args, "--format", "markdown")...)
	if code != ExitPass || !strings.Contains(out, "Judged: fail on regression only") || !strings.Contains(out, "_Note:_") {
		t.Errorf("markdown: exit %d\n%s", code, out)
	}
	for _, bad := range [][]string{{"--fail-on", "never"}, {"--exclude", "yesterday"}, {"--from", "2021-07-01", "--until", "2021-06-30"}} {
		code, _, stderr := run(t, append(exampleArgs("proposed.yaml"), bad...)...)
		if code != ExitInvalid || !strings.Contains(stderr, bad[0]) {
			t.Errorf("%v: exit %d, stderr %q; want a usage error naming the flag", bad, code, stderr)
		}
	}
	code, _, stderr = run(t, "check", "--service", example+"service.yaml", "--proposed", example+"proposed.yaml", "--traffic", example+"traffic.csv", "--fail-on", "regression")
	if code != ExitInvalid || !strings.Contains(stderr, "--fail-on regression compares with a baseline") {
		t.Errorf("regression without a baseline: exit %d, %q", code, stderr)
	}
}

func TestSimulateFormatAndOutput(t *testing.T) {
	out := filepath.Join(t.TempDir(), "sim.json")
	code, stdout, stderr := run(t, "simulate", "--service", example+"service.yaml", "--policy", example+"proposed.yaml",
		"--traffic", example+"traffic.csv", "--format", "json", "-o", out)
	if code != ExitPass || stdout != "" {
		t.Fatalf("exit %d, stdout %q\n%s", code, stdout, stderr)
	}
	data, err := os.ReadFile(out)
	if err != nil || !strings.Contains(string(data), `"command": "simulate"`) {
		t.Errorf("%s: %v\n%.200s", out, err, data)
	}
	if code, _, stderr := run(t, "simulate", "--service", example+"service.yaml", "--policy", example+"proposed.yaml",
		"--traffic", example+"traffic.csv", "--format", "yaml"); code != ExitInvalid || !strings.Contains(stderr, "--format") {
		t.Errorf("--format yaml: exit %d, %q", code, stderr)
	}
}
