package report

import (
	"math"
	"testing"
)

func nanValue() float64 { return math.NaN() }

func TestFormat(t *testing.T) {
	for _, tc := range []struct {
		name, got, want string
	}{
		{"sig3 rounds to three digits", sig3(12.345), "12.3"},
		{"sig3 keeps small values", sig3(0.001234), "0.00123"},
		{"sig3 drops trailing zeros", sig3(100), "100"},
		{"sig3 of a rounding carry", sig3(9.999), "10"},
		{"sig3 of zero", sig3(0), "0"},
		{"percent of a ratio", fmtPercent(0.3521), "35.2%"},
		{"percent of an SLO", fmtPercent(0.001), "0.1%"},
		{"signed percent", fmtSignedPercent(0.05), "+5%"},
		{"latency under a second", fmtLatency(640), "640ms"},
		{"latency in seconds", fmtLatency(2480), "2.48s"},
		{"count with separators", fmtCount(128734.4), "128,734"},
		{"count of a fraction of a request", fmtCount(0.2), "<1"},
		{"count never -0", fmtCount(-0.2), "0"},
		{"negative count", fmtCount(-1234567), "-1,234,567"},
		{"signed count", fmtSignedCount(1000), "+1,000"},
		{"hours", fmtHours(1234.56), "1,234.6"},
		{"negative hours", fmtSignedHours(-31.5), "-31.5"},
		{"seconds", fmtSeconds(3930), "1h5m30s"},
		{"whole minutes", fmtSeconds(600), "10m"},
		{"signed seconds", fmtSignedSeconds(-45), "-45s"},
	} {
		if tc.got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.name, tc.got, tc.want)
		}
	}
}
