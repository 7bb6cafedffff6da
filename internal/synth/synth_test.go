package synth

import (
	"bytes"
	"fmt"
	"os"
	"testing"
)

// The shipped example's traffic is this generator's output with the
// defaults: regenerate it and compare, so the file and its documented
// generator cannot drift apart.
func TestExampleTrafficIsReproducible(t *testing.T) {
	want, err := os.ReadFile("../../examples/bitbucket-2021-06-30/traffic.csv")
	if err != nil {
		t.Fatal(err)
	}
	var got bytes.Buffer
	if err := Write(&got, Defaults()); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Bytes(), want) {
		t.Errorf("examples/bitbucket-2021-06-30/traffic.csv differs from the generator's output; run: go run ./tools/trafficgen -o examples/bitbucket-2021-06-30/traffic.csv")
	}
}

func TestShape(t *testing.T) {
	// Hourly means: the peak spans Europe's afternoon and America's
	// morning, the trough is the European night.
	var buf bytes.Buffer
	if err := Write(&buf, Defaults()); err != nil {
		t.Fatal(err)
	}
	lines := bytes.Split(bytes.TrimSpace(buf.Bytes()), []byte("\n"))[1:]
	var hourly [24]float64
	for _, l := range lines {
		var h, m, s, n int
		if _, err := fmt.Sscanf(string(l), "2021-06-30T%d:%d:%dZ,%d", &h, &m, &s, &n); err != nil {
			t.Fatalf("line %q: %v", l, err)
		}
		hourly[h] += float64(n)
	}
	peak, trough := 0, 0
	for h := range hourly {
		if hourly[h] > hourly[peak] {
			peak = h
		}
		if hourly[h] < hourly[trough] {
			trough = h
		}
	}
	if peak < 12 || peak > 17 {
		t.Errorf("busiest hour %02d:00 UTC, want between 12 and 17", peak)
	}
	if trough > 5 {
		t.Errorf("quietest hour %02d:00 UTC, want the European night (00-05)", trough)
	}
	if r := hourly[peak] / hourly[trough]; r < 2 || r > 5 {
		t.Errorf("diurnal swing %.2f, want 2..5 like real sites (the traces show 1.6-4)", r)
	}
}
