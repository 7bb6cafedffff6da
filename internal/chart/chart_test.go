package chart

import (
	"bufio"
	"encoding/xml"
	"errors"
	"flag"
	"io"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

var day = time.Date(2021, 6, 30, 0, 0, 0, 0, time.UTC)

// The frames of the two pages that use the package, so the goldens look
// like what they show.
var (
	reportFrame = Frame{W: 900, H: 220, Left: 62, Right: 24, Top: 28, Bottom: 40}
	pageFrame   = Frame{W: 900, H: 300, Left: 58, Right: 40, Top: 12, Bottom: 62}
)

// goldens are the charts whose whole output testdata/ holds: NAME.svg, and
// NAME.legend.html for a chart whose legend is HTML. testdata/README.md
// says what each shows.
func goldens() map[string]Chart {
	// A day of 3-minute buckets: diurnal demand, capacity cut at 17:00.
	var demand, capacity []float64
	for i := range 480 {
		hour := float64(i) * 3 / 60
		demand = append(demand, 600+440*math.Cos((hour-17)/24*2*math.Pi))
		c := 1200.0
		if hour >= 16.95 && hour < 17.2 {
			c = 400
		}
		capacity = append(capacity, c)
	}
	bucket := 3 * time.Minute
	violation := BandStyle{Class: "violation", Fill: Red, Opacity: "0.18"}
	guard := BandStyle{Class: "band", Fill: Orange, Opacity: "0.28", Name: "guard stepped in"}
	blind := BandStyle{Class: "band blind", Fill: Red, Opacity: "0.22", Name: "metrics blind: scale-in frozen"}

	// An hour of decisions every 15 s: 6 instances, 9 during a burst;
	// the desired count leads by a decision.
	var current, desired []Point
	for i := range 240 {
		at := day.Add(12*time.Hour + time.Duration(i)*15*time.Second)
		n := 6.0
		if i >= 80 && i < 140 {
			n = 9
		}
		if i >= 100 && i < 110 {
			current = append(current, Point{at, math.NaN()}) // the loop stopped
			desired = append(desired, Point{at, math.NaN()})
			continue
		}
		current = append(current, Point{at, n})
		next := n
		if i+1 >= 80 && i+1 < 140 {
			next = 9
		}
		desired = append(desired, Point{at, next})
	}

	// 90 seconds of a latency spike, a point every 5 s.
	var latency []Point
	for i := range 19 {
		v := 40.0
		if i >= 6 && i <= 10 {
			v = 40 + 120*float64(i-5)
		}
		latency = append(latency, Point{day.Add(17*time.Hour + time.Duration(i)*5*time.Second), v})
	}

	return map[string]Chart{
		"report-panel": {
			Label: "Demand, ready capacity and required capacity in requests/s", Unit: "req/s", Frame: reportFrame,
			Start: day, End: day.Add(480 * bucket),
			Series: []Series{
				{Name: "demand", Class: "s-demand", Colour: Blue, Points: Buckets(day, bucket, demand)},
				{Name: "ready capacity", Class: "s-capacity", Colour: Black, Points: Buckets(day, bucket, capacity)},
			},
			Bands: []Band{{Start: day.Add(17 * time.Hour), End: day.Add(17*time.Hour + 9*time.Minute), Title: "SLO violation 17:00 to 17:09", Style: violation}},
		},
		"error-ref-gap": {
			Label: "Error ratio in percent", Unit: "%", Frame: reportFrame,
			Start: day, End: day.Add(10 * time.Minute),
			Series: []Series{{Name: "error ratio", Class: "s-errors", Colour: Vermillion,
				Points: Buckets(day, time.Minute, []float64{0, 0, 0.02, math.NaN(), math.Inf(1), 0.05, 0.03, 0, 0, 0})}},
			Refs: []Ref{{Value: 0.1, Label: "SLO 0.1%"}},
		},
		"decisions-capacity": {
			Label: "web: current and desired instances", Class: "capacity", Frame: pageFrame,
			Start: day.Add(12 * time.Hour), End: day.Add(13 * time.Hour), Integer: true, Legend: LegendInHTML,
			Series: []Series{
				{Name: "current (ready+launching)", Class: "current", Colour: Black, Width: 2.2, Step: true, Points: current},
				{Name: "desired", Class: "desired", Colour: Vermillion, Dash: "7 4", Width: 2, Step: true, Points: desired},
			},
			Bands: []Band{
				{Start: day.Add(12*time.Hour + 35*time.Minute), End: day.Add(12*time.Hour + 45*time.Minute), Title: "ScaleInDeferred (40 decisions)", Style: guard},
				{Start: day.Add(12*time.Hour + 25*time.Minute), End: day.Add(12*time.Hour + 27*time.Minute + 30*time.Second), Title: "MetricsBlind (10 decisions)", Style: blind},
				{Start: day.Add(12*time.Hour + 59*time.Minute + 50*time.Second), End: day.Add(13*time.Hour + 5*time.Minute), Title: "at the window's end", Style: guard},
			},
			Marks: []Mark{
				{At: day.Add(12*time.Hour + 25*time.Minute), Title: "read metrics: connection refused"},
				{At: day.Add(12*time.Hour + 25*time.Minute + 15*time.Second), Title: "read metrics: connection refused"},
				{At: day.Add(12*time.Hour + 25*time.Minute + 30*time.Second), Title: "read metrics: connection refused"},
				{At: day.Add(12*time.Hour + 50*time.Minute), Title: "read capacity: timed out"},
			},
			MarkName: "error",
		},
		"sub-minute": {
			Label: "Mean latency in milliseconds", Unit: "ms", Frame: reportFrame,
			Start: latency[0].At, End: latency[0].At.Add(90 * time.Second),
			Series: []Series{{Name: "mean latency", Class: "s-latency", Colour: Purple, Points: latency}},
			Refs:   []Ref{{Value: 500, Label: "SLO 500ms"}},
		},
		"millions": {
			Label: "Requests per day", Unit: "req", Frame: reportFrame,
			Start: day, End: day.Add(7 * 24 * time.Hour),
			Series: []Series{{Name: "requests", Class: "s-demand", Colour: Blue,
				Points: Buckets(day, 24*time.Hour, []float64{0.5e6, 0.7e6, 1.1e6, 1.2e6, 0.95e6, 0.3e6, 0.25e6})}},
		},
		"empty": {
			Label: "web: demand in requests/s", Class: "demand", Frame: pageFrame, Empty: "no decisions in this window",
			Start: day, End: day.Add(time.Hour), Legend: LegendInHTML,
			Series: []Series{{Name: "demand (req/s)", Class: "demand", Colour: Blue,
				Points: []Point{{day, math.NaN()}, {day.Add(time.Minute), math.NaN()}}}},
		},
		"hostile-text": {
			Label: `"><script>alert(1)</script>`, Class: `x" onload="alert(1)`, Unit: "<b>", Frame: reportFrame,
			Start: day, End: day.Add(time.Hour),
			Series: []Series{{Name: "<img src=x onerror=alert(1)>", Class: "s", Colour: `red" onclick="x`, Dash: `1"/>`,
				Points: Buckets(day, 30*time.Minute, []float64{1, 2})}},
			Refs:     []Ref{{Value: 1.5, Label: "a & b < c"}},
			Bands:    []Band{{Start: day, End: day.Add(time.Minute), Title: "</title><script>", Style: BandStyle{Class: "v", Fill: Red, Opacity: "0.2", Name: "it's"}}},
			Marks:    []Mark{{At: day.Add(time.Minute), Title: `'"&+`}},
			MarkName: "<mark>",
		},
	}
}

// TestGolden renders each golden chart and compares it with testdata/;
// go test ./internal/chart -update rewrites them. Every golden is also
// well-formed XML (the pages are read by XML parsers too).
func TestGolden(t *testing.T) {
	cases := goldens()
	names := slices.Sorted(func(yield func(string) bool) {
		for n := range cases {
			if !yield(n) {
				return
			}
		}
	})
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			r := cases[name].Render()
			checkGolden(t, name+".svg", string(r.SVG)+"\n")
			wellFormed(t, string(r.SVG))
			if r.Legend != "" {
				checkGolden(t, name+".legend.html", string(r.Legend)+"\n")
				wellFormed(t, string(r.Legend))
			}
		})
	}
}

func checkGolden(t *testing.T, file, got string) {
	t.Helper()
	path := filepath.Join("testdata", file)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test ./internal/chart -update writes it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from the chart drawn now (go test ./internal/chart -update rewrites it); got:\n%s", path, got)
	}
}

func wellFormed(t *testing.T, doc string) {
	t.Helper()
	dec := xml.NewDecoder(strings.NewReader(doc))
	dec.Strict = true
	for {
		_, err := dec.Token()
		if errors.Is(err, io.EOF) {
			return
		}
		if err != nil {
			t.Fatalf("not well-formed XML: %v\n%s", err, doc)
		}
	}
}

// testdata/README.md names every golden file, and every file it names is
// there: a golden nobody can explain, or an explanation of a file that is
// gone, fails.
func TestGoldenREADME(t *testing.T) {
	f, err := os.Open(filepath.Join("testdata", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	item := regexp.MustCompile("^- `([^`]+)`")
	var described []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if m := item.FindStringSubmatch(sc.Text()); m != nil {
			described = append(described, m[1])
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir("testdata")
	if err != nil {
		t.Fatal(err)
	}
	var files []string
	for _, e := range entries {
		if e.Name() != "README.md" {
			files = append(files, e.Name())
		}
	}
	var want []string
	for name, c := range goldens() {
		want = append(want, name+".svg")
		if c.Legend == LegendInHTML && c.Render().Legend != "" {
			want = append(want, name+".legend.html")
		}
	}
	slices.Sort(described)
	slices.Sort(files)
	slices.Sort(want)
	if !slices.Equal(described, want) {
		t.Errorf("README.md describes %v; the goldens are %v", described, want)
	}
	if !*update && !slices.Equal(files, want) {
		t.Errorf("testdata holds %v; the goldens are %v", files, want)
	}
}

// render is the SVG of c.
func render(c Chart) string { return string(c.Render().SVG) }

// paths returns the d of each line.
func paths(svg string) []string {
	var out []string
	for _, m := range regexp.MustCompile(`<path class="line[^"]*" d="([^"]*)"`).FindAllStringSubmatch(svg, -1) {
		out = append(out, m[1])
	}
	return out
}

func TestLineGaps(t *testing.T) {
	c := Chart{Frame: reportFrame, Start: day, End: day.Add(6 * time.Minute),
		Series: []Series{{Name: "latency", Points: Buckets(day, time.Minute, []float64{1, 2, math.NaN(), 3, math.Inf(1), 4})}}}
	d := paths(render(c))[0]
	if n := strings.Count(d, "M"); n != 3 {
		t.Errorf("path %q has %d runs, want 3 (NaN and Inf break the line)", d, n)
	}
}

func TestStepGaps(t *testing.T) {
	c := Chart{Frame: pageFrame, Start: day, End: day.Add(4 * time.Minute), Integer: true,
		Series: []Series{{Step: true, Points: []Point{{day, 2}, {day.Add(time.Minute), 3}, {day.Add(2 * time.Minute), math.NaN()}, {day.Add(3 * time.Minute), 3}, {day.Add(4 * time.Minute), 3}}}}}
	d := paths(render(c))[0]
	if want := "M58 87.3 H258.5 V12 H459 M659.5 12 H860"; d != want {
		t.Errorf("step path = %q, want %q: held to the gap, then a new run", d, want)
	}
}

// A week of points falls many to a column: each column keeps its first,
// highest, lowest and last point, so the path stays small and every peak
// shows.
func TestLineColumnsKeepPeaks(t *testing.T) {
	var pts []Point
	for i := range 7 * 24 * 240 { // a point every 15 s
		v := 10.0
		if i == 5000 {
			v = 99 // one spike
		}
		pts = append(pts, Point{day.Add(time.Duration(i) * 15 * time.Second), v})
	}
	c := Chart{Frame: pageFrame, Start: day, End: day.Add(7 * 24 * time.Hour), Series: []Series{{Points: pts}}}
	svg := render(c)
	d := paths(svg)[0]
	if n := strings.Count(d, " L") + 1; n > 4*int(pageFrame.W) {
		t.Errorf("%d points in the path, want at most 4 a column", n)
	}
	// The axis runs to 100 over the 226 units from y=12: 99 is at 14.3.
	if !strings.Contains(svg, `>100</text>`) || !strings.Contains(d, " 14.3") {
		t.Errorf("the spike to 99 is not drawn at y=14.3, under the axis' top 100")
	}
}

func TestBands(t *testing.T) {
	style := BandStyle{Class: "violation"}
	month := 30 * 24 * time.Hour
	for _, tc := range []struct {
		name       string
		start, end time.Time
		want       string // x and width, "" for no band
	}{
		{"a minute on a month is 2 units wide", day.Add(time.Hour), day.Add(time.Hour + time.Minute), `x="62.1" width="2"`},
		{"a moment at the window's end stays inside, 2 wide", day.Add(month), day.Add(month), `x="874" width="2"`},
		{"a band running past the end is cut at the plot", day.Add(month - 24*time.Hour), day.Add(month + 24*time.Hour), `x="848.9" width="27.1"`},
		{"a band before the window is left out", day.Add(-2 * time.Hour), day.Add(-time.Hour), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := Chart{Frame: reportFrame, Start: day, End: day.Add(month),
				Series: []Series{{Points: Buckets(day, 24*time.Hour, make([]float64, 30))}},
				Bands:  []Band{{Start: tc.start, End: tc.end, Style: style}}}
			m := regexp.MustCompile(`<rect class="violation" (x="[^"]+") y="[^"]+" (width="[^"]+")`).FindStringSubmatch(render(c))
			got := ""
			if m != nil {
				got = m[1] + " " + m[2]
			}
			if got != tc.want {
				t.Errorf("band = %q, want %q", got, tc.want)
			}
		})
	}
}

// Errors within a few units share a triangle whose title counts them.
func TestMarksMerge(t *testing.T) {
	c := Chart{Frame: pageFrame, Start: day, End: day.Add(6 * time.Hour), MarkName: "error", Legend: LegendInHTML,
		Series: []Series{{Points: []Point{{day, 1}}}},
		Marks: []Mark{
			{At: day.Add(time.Hour), Title: "first"},
			{At: day.Add(time.Hour + 15*time.Second), Title: "second"},
			{At: day.Add(time.Hour + 30*time.Second), Title: "third"},
			{At: day.Add(4 * time.Hour), Title: "later"},
		}}
	svg := render(c)
	if n := strings.Count(svg, `<path class="mark"`); n != 2 {
		t.Errorf("%d marks, want 2", n)
	}
	for _, want := range []string{"<title>first (and 2 more errors until 2021-06-30 01:00:30 UTC)</title>", "<title>later</title>"} {
		if !strings.Contains(svg, want) {
			t.Errorf("marks lack %q", want)
		}
	}
}

// Labels, names and titles come from policy files, traffic file names and
// platform errors: they are text, never markup.
func TestEscapes(t *testing.T) {
	r := goldens()["hostile-text"].Render()
	for _, bad := range []string{"<script", "<img", "<b>", `" onload`, `" onclick`, "<mark>", "</title><script"} {
		if strings.Contains(string(r.SVG), bad) {
			t.Errorf("SVG lets %q through", bad)
		}
	}
	for _, want := range []string{"&lt;img src=x onerror=alert(1)&gt;", "a &amp; b &lt; c", "&#39;&#34;&amp;&#43;"} {
		if !strings.Contains(string(r.SVG), want) {
			t.Errorf("SVG lacks the escaped %q", want)
		}
	}
}

// The legend lists each named band style once, in the order the bands
// first use it, and the marks last; in HTML the SVG has no legend.
func TestLegendHTML(t *testing.T) {
	r := goldens()["decisions-capacity"].Render()
	var names []string
	for _, m := range regexp.MustCompile(`</svg>([^<]+)</li>`).FindAllStringSubmatch(string(r.Legend), -1) {
		names = append(names, m[1])
	}
	want := []string{"current (ready&#43;launching)", "desired", "guard stepped in", "metrics blind: scale-in frozen", "error"}
	if !slices.Equal(names, want) {
		t.Errorf("legend = %q, want %q", names, want)
	}
	if strings.Contains(string(r.SVG), `class="legend"`) {
		t.Errorf("the SVG has a legend too")
	}
}
