package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// check replays one file while it is still being read (traffic.ReadAhead);
// a pattern matching the same file is read whole first. Both must say the
// same: the report, the warnings, the exit code, and for a file that is bad
// near its end the same error, before any error of the flags.
func TestCheckFollowingTheFileIsReadingItFirst(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, edit func(i int, line string) string) string {
		var b strings.Builder
		b.WriteString("timestamp,requests\n")
		start := time.Date(2021, 6, 30, 0, 0, 0, 0, time.UTC)
		for i := 0; i < 2*86400; i++ {
			line := fmt.Sprintf("%s,%d", start.Add(time.Duration(i)*time.Second).Format(time.RFC3339), 2500+(i%7919)/3)
			if line = edit(i, line); line != "" {
				b.WriteString(line + "\n")
			}
		}
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	keep := func(_ int, line string) string { return line }
	gappy := write("gappy.csv", func(i int, line string) string {
		if i%50_000 == 7 {
			return ""
		}
		return line
	})
	late := write("late.csv", func(i int, line string) string {
		if i == 150_000 {
			return "2021-06-30T00:00:01Z,5"
		}
		return line
	})
	clean := write("clean.csv", keep)
	huge := write("huge.csv", func(i int, line string) string {
		if i == 160_000 {
			return strings.Split(line, ",")[0] + ",5000000000"
		}
		return line
	})
	svc := []string{"check", "--service", example + "service.yaml", "--proposed", example + "proposed.yaml",
		"--baseline", example + "baseline.yaml", "--format", "json"}
	cases := []struct {
		name  string
		file  string
		flags []string
		code  int
	}{
		{"gaps filled, scaled", gappy, []string{"--gaps", "zero", "--scale", "1.2"}, -1},
		{"a row out of order near the end", late, nil, ExitInvalid},
		{"a row out of order and a bad flag", late, []string{"--fail-on", "never"}, ExitInvalid},
		{"shifted and scaled, a count then past the rate near the end", huge, []string{"--scale", "1000", "--shift", "-1h"}, ExitInvalid},
		{"shifted and scaled", clean, []string{"--scale", "3", "--shift", "-1h"}, ExitFail},
		{"shifted before 1970", clean, []string{"--shift", "-500000h"}, ExitInvalid},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			pattern := strings.TrimSuffix(c.file, ".csv") + "*.csv"
			codeA, outA, errA := run(t, append(append(svc, "--traffic", c.file), c.flags...)...)
			codeW, outW, errW := run(t, append(append(svc, "--traffic", pattern), c.flags...)...)
			if codeA != codeW || outA != outW || errA != errW {
				t.Fatalf("following the file: exit %d, %d bytes out, stderr %q\nreading it first: exit %d, %d bytes out, stderr %q",
					codeA, len(outA), errA, codeW, len(outW), errW)
			}
			if c.code >= 0 && codeA != c.code {
				t.Errorf("exit %d, want %d: %s", codeA, c.code, errA)
			}
			if c.code == ExitInvalid && !strings.Contains(errA, filepath.Base(c.file)) {
				t.Errorf("the error does not name the file: %s", errA)
			}
			if c.name == "gaps filled, scaled" && !strings.Contains(errA, "warning: ") {
				t.Errorf("no warning of the gaps: %s", errA)
			}
		})
	}
}
