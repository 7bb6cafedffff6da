package numfmt

import (
	"math"
	"testing"
)

func TestCount(t *testing.T) {
	for _, c := range []struct {
		name string
		got  string
		want string
	}{
		{"three digits stay as they are", Group("123"), "123"},
		{"four digits, negative", Group("-1234"), "-1,234"},
		{"six digits", Group("729309"), "729,309"},
		{"seven digits", Group("11508060"), "11,508,060"},
		{"a count rounds to whole requests", Count(729309.4), "729,309"},
		{"a half rounds away from zero", Count(-1234.5), "-1,235"},
		{"zero", Count(0), "0"},
		{"not a number is said so", Count(math.NaN()), "NaN"},
	} {
		if c.got != c.want {
			t.Errorf("%s: got %q, want %q", c.name, c.got, c.want)
		}
	}
}
