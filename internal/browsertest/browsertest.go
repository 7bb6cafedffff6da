// Package browsertest drives a real headless Chromium (Debian's chromium)
// for the tests of headroom's pages: the HTML report, the decisions page
// and the status page. Under CI=true a missing browser fails the test;
// elsewhere it is skipped.
package browsertest

import (
	"bytes"
	"context"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Find returns the browser's path.
func Find(t testing.TB) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("no chromium on PATH: CI must install Debian's chromium for the browser tests")
	}
	t.Skip("no chromium on PATH; install Debian's chromium to run the browser tests")
	return ""
}

// Run runs the browser headless on url with args (e.g. --dump-dom) and
// returns what it printed. The flags keep it off the network this machine
// does not have and out of the user's profile.
func Run(t testing.TB, browser, url string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	args = append(flags(t), args...)
	cmd := exec.CommandContext(ctx, browser, append(args, url)...)
	group(cmd)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	// What the browser left running (its crash handler) goes with it.
	killGroup(cmd)
	if err != nil {
		t.Fatalf("chromium: %v\n%s", err, stderr.String())
	}
	return string(out)
}

// Screenshot takes a screenshot of url at width×height, keeps it as
// name.png under $HEADROOM_ARTIFACTS when that is set, and returns it.
func Screenshot(t testing.TB, browser, url, name string, width, height int) image.Image {
	t.Helper()
	shot := filepath.Join(t.TempDir(), name+".png")
	Run(t, browser, url, "--window-size="+strconv.Itoa(width)+","+strconv.Itoa(height), "--screenshot="+shot)
	data, err := os.ReadFile(shot)
	if err != nil {
		t.Fatal(err)
	}
	if keep := os.Getenv("HEADROOM_ARTIFACTS"); keep != "" {
		if err := os.WriteFile(filepath.Join(keep, name+".png"), data, 0o644); err != nil {
			t.Errorf("keep screenshot: %v", err)
		}
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	if b := img.Bounds(); b.Dx() != width || b.Dy() != height {
		t.Fatalf("screenshot is %v, want %dx%d", b, width, height)
	}
	return img
}

// Pixels counts the pixels of img within tolerance of colour (RGB, 0-255)
// in each channel.
func Pixels(img image.Image, colour [3]int, tolerance int) int {
	near := func(a, b int) bool { return a-b <= tolerance && b-a <= tolerance }
	n := 0
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			if near(int(r>>8), colour[0]) && near(int(g>>8), colour[1]) && near(int(bl>>8), colour[2]) {
				n++
			}
		}
	}
	return n
}

// Paint is a colour a screenshot must show: at least Least pixels within 6
// of Colour in each channel (thresholds are a fraction of what Chromium
// paints: antialiasing leaves fewer pure pixels than the shapes cover).
type Paint struct {
	Name   string
	Colour [3]int
	Least  int
}

// ExpectPaint logs how many pixels of each paint img has and fails t for
// each with fewer than its Least.
func ExpectPaint(t testing.TB, img image.Image, want []Paint) {
	t.Helper()
	for _, p := range want {
		n := Pixels(img, p.Colour, 6)
		t.Logf("%s: %d pixels", p.Name, n)
		if n < p.Least {
			t.Errorf("%s: %d pixels of %v, want at least %d", p.Name, n, p.Colour, p.Least)
		}
	}
}
