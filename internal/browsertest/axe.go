package browsertest

import (
	"encoding/base64"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// WCAG22AA are axe-core's tags of the rules for WCAG 2.0, 2.1 and 2.2 at
// levels A and AA (https://github.com/dequelabs/axe-core/blob/develop/doc/API.md#axe-core-tags).
var WCAG22AA = []string{"wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"}

// Violation is a rule axe-core found broken, with the elements that break
// it (axe's result format: https://www.deque.com/axe/core-documentation/api-documentation/#results-object).
type Violation struct {
	ID, Impact, Help, HelpURL string
	Nodes                     []struct {
		Target         []any
		HTML           string
		FailureSummary string
	}
}

// String is the violation as a test reports it: the rule, what it asks,
// and each element with axe's summary of why.
func (v Violation) String() string {
	var b strings.Builder
	b.WriteString(v.ID + " (" + v.Impact + "): " + v.Help + " " + v.HelpURL)
	for _, n := range v.Nodes {
		b.WriteString("\n    " + n.HTML + "\n      " + strings.ReplaceAll(n.FailureSummary, "\n", "\n      "))
	}
	return b.String()
}

// AxeResult is one run of axe-core on a page.
type AxeResult struct {
	Violations []Violation
	// Passes and Incomplete count the rules that passed and those axe
	// could not decide (a person must look); NeedsReview names the latter.
	Passes, Incomplete int
	NeedsReview        []string
	// Version is axe-core's.
	Version string
}

// Axe is a headless Chromium with axe-core at hand, to check pages one
// after another in one browser.
type Axe struct {
	d      *devtools
	source string
}

// axeSource is where `npm ci` in internal/browsertest/axe puts axe-core.
func axeSource() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "axe", "node_modules", "axe-core", "axe.min.js")
}

// OpenAxe starts the browser. Under CI=true a missing axe-core fails the
// test; elsewhere it is skipped, saying how to install it.
func OpenAxe(t testing.TB, browser string) *Axe {
	t.Helper()
	src, err := os.ReadFile(axeSource())
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("no axe-core (%v): CI must run npm ci in internal/browsertest/axe", err)
		}
		t.Skipf("no axe-core (%v); run npm ci in internal/browsertest/axe to run the accessibility tests", err)
	}
	d := openDevtools(t, browser)
	// The pages' Content-Security-Policy allows no script: axe is
	// injected through the protocol, with the policy bypassed for it.
	d.page("Page.enable", nil, nil)
	d.page("Page.setBypassCSP", map[string]any{"enabled": true}, nil)
	return &Axe{d: d, source: string(src)}
}

// Check loads url at width×height in a colour scheme ("light" or "dark",
// as prefers-color-scheme) and runs axe-core's rules of the tags on it.
func (a *Axe) Check(url, scheme string, width, height int, tags []string) AxeResult {
	a.d.t.Helper()
	a.load(url, scheme, width, height)
	a.d.evaluate(a.source+"\n;true", nil)
	var res AxeResult
	tagList, _ := jsonString(tags)
	a.d.evaluate(`axe.run(document, {runOnly: {type: "tag", values: `+tagList+`}, resultTypes: ["violations"]}).then(r => ({
		Violations: r.violations.map(v => ({ID: v.id, Impact: v.impact || "", Help: v.help, HelpURL: v.helpUrl,
			Nodes: v.nodes.map(n => ({Target: n.target, HTML: n.html, FailureSummary: n.failureSummary || ""}))})),
		Passes: r.passes.length, Incomplete: r.incomplete.length, NeedsReview: r.incomplete.map(i => i.id), Version: axe.version}))`, &res)
	return res
}

// Screenshot takes a screenshot of url at width×height in a colour
// scheme and keeps it as name.png under $HEADROOM_ARTIFACTS when that is
// set.
func (a *Axe) Screenshot(url, scheme, name string, width, height int) []byte {
	a.d.t.Helper()
	a.load(url, scheme, width, height)
	var shot struct{ Data string }
	a.d.page("Page.captureScreenshot", map[string]any{"format": "png", "captureBeyondViewport": false}, &shot)
	data, err := base64.StdEncoding.DecodeString(shot.Data)
	if err != nil {
		a.d.t.Fatalf("screenshot: %v", err)
	}
	if keep := os.Getenv("HEADROOM_ARTIFACTS"); keep != "" {
		if err := os.WriteFile(filepath.Join(keep, name+".png"), data, 0o644); err != nil {
			a.d.t.Errorf("keep screenshot: %v", err)
		}
	}
	return data
}

func (a *Axe) load(url, scheme string, width, height int) {
	a.d.t.Helper()
	a.d.page("Emulation.setDeviceMetricsOverride", map[string]any{"width": width, "height": height, "deviceScaleFactor": 1, "mobile": false}, nil)
	a.d.page("Emulation.setEmulatedMedia", map[string]any{"features": []map[string]string{{"name": "prefers-color-scheme", "value": scheme}}}, nil)
	a.d.navigate(url)
}
