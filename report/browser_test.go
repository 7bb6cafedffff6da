package report

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/headroomhq/headroom/check"
	"github.com/headroomhq/headroom/internal/browsertest"
)

// bandColour is a violation band as the browser paints it: #d1242f at
// 18% opacity over the white page.
var bandColour = [3]int{247, 216, 218}

// bands renders page in headless Chromium and counts the pixels of
// violation bands.
func bands(t *testing.T, browser, page, name string) int {
	t.Helper()
	html := filepath.Join(t.TempDir(), "report.html")
	if err := os.WriteFile(html, []byte(page), 0o644); err != nil {
		t.Fatal(err)
	}
	img := browsertest.Screenshot(t, browser, "file://"+html, name, 1200, 2400)
	return browsertest.Pixels(img, bandColour, 3)
}

// The HTML report, opened in a real browser, shows its violations: a
// failing report has shaded bands a passing one has not.
func TestHTMLInBrowser(t *testing.T) {
	browser := browsertest.Find(t)
	failing := render(t, HTML, fixture())
	passing := fixture()
	passing.Verdict, passing.Reasons, passing.Compare = check.Pass, nil, nil
	passing.Policies = passing.Policies[1:]
	red := bands(t, browser, failing, "report-failing")
	none := bands(t, browser, render(t, HTML, passing), "report-passing")
	t.Logf("violation band pixels: failing %d, passing %d", red, none)
	if red < 300 || none > 0 {
		t.Errorf("violation band pixels: failing report %d, passing report %d; want the bands to show on the first only", red, none)
	}
}
