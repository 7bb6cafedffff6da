package schedule

import (
	"testing"
	"time"
)

// BenchmarkAWSCronNext measures Next for common expressions and for the
// worst case, one that never matches and so searches every year up to 2199.
func BenchmarkAWSCronNext(b *testing.B) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		b.Fatal(err)
	}
	from := time.Date(2021, 11, 7, 5, 0, 0, 0, time.UTC)
	for _, bc := range []struct{ name, spec string }{
		{"every 5 minutes on weekdays", "0/5 8-17 ? * MON-FRI *"},
		{"first Monday", "0 9 ? * 2#1 *"},
		{"nearest weekday", "0 12 15W * ? *"},
		{"30 February, never", "0 0 30 2 ? *"},
	} {
		c, err := parseAWSCron(bc.spec, ny)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				c.Next(from)
			}
		})
	}
}
