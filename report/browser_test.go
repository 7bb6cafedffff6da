package report

import (
	"context"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/headroomhq/headroom/check"
)

// chromium finds a headless browser; under CI=true a missing one fails.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("no chromium on PATH: CI must install Debian's chromium for the browser test")
	}
	t.Skip("no chromium on PATH; install Debian's chromium to run the browser test")
	return ""
}

// bandColour is a violation band as the browser paints it: #d1242f at
// 18% opacity over the white page.
var bandColour = [3]int{247, 216, 218}

// screenshot renders page in headless Chromium and counts the pixels of
// violation bands.
func screenshot(t *testing.T, browser, page string) (band int) {
	t.Helper()
	dir := t.TempDir()
	html := filepath.Join(dir, "report.html")
	if err := os.WriteFile(html, []byte(page), 0o644); err != nil {
		t.Fatal(err)
	}
	shot := filepath.Join(dir, "report.png")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
		"--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir="+filepath.Join(dir, "profile"), "--window-size=1200,2400", "--screenshot="+shot, "file://"+html)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("chromium: %v\n%s", err, out)
	}
	f, err := os.Open(shot)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	b := img.Bounds()
	if b.Dx() < 1000 || b.Dy() < 2000 {
		t.Fatalf("screenshot is %v", b)
	}
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			if near(int(r>>8), bandColour[0]) && near(int(g>>8), bandColour[1]) && near(int(bl>>8), bandColour[2]) {
				band++
			}
		}
	}
	if keep := os.Getenv("HEADROOM_ARTIFACTS"); keep != "" {
		data, _ := os.ReadFile(shot)
		os.WriteFile(filepath.Join(keep, t.Name()+".png"), data, 0o644)
	}
	return band
}

func near(a, b int) bool { return a-b <= 3 && b-a <= 3 }

// The HTML report, opened in a real browser, shows its violations: a
// failing report has shaded bands a passing one has not.
func TestHTMLInBrowser(t *testing.T) {
	browser := chromium(t)
	failing := render(t, HTML, fixture())
	passing := fixture()
	passing.Verdict, passing.Reasons, passing.Compare = check.Pass, nil, nil
	passing.Policies = passing.Policies[1:]
	bands := screenshot(t, browser, failing)
	none := screenshot(t, browser, render(t, HTML, passing))
	t.Logf("violation band pixels: failing %d, passing %d", bands, none)
	if bands < 300 || none > 0 {
		t.Errorf("violation band pixels: failing report %d, passing report %d; want the bands to show on the first only", bands, none)
	}
}
