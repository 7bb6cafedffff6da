package exec

import (
	"strings"
	"testing"

	"github.com/headroomhq/headroom"
)

func TestParseCapacity(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want headroom.Capacity
		err  string // in the error; "" means success
	}{
		{"integer", "7", headroom.Capacity{Ready: 7}, ""},
		{"integer with spaces and newline", "  12 \n", headroom.Capacity{Ready: 12}, ""},
		{"zero", "0", headroom.Capacity{}, ""},
		{"JSON", `{"ready":3,"launching":2}`, headroom.Capacity{Ready: 3, Launching: 2}, ""},
		{"JSON without launching", `{"ready":3}`, headroom.Capacity{Ready: 3}, ""},
		{"JSON indented", "{\n  \"launching\": 1,\n  \"ready\": 0\n}\n", headroom.Capacity{Launching: 1}, ""},
		{"negative integer", "-1", headroom.Capacity{}, `printed "-1", expected one non-negative integer`},
		{"fraction", "2.5", headroom.Capacity{}, `printed "2.5"`},
		{"two numbers", "2 3", headroom.Capacity{}, `printed "2 3"`},
		{"empty", " \n", headroom.Capacity{}, "printed nothing"},
		{"word", "ACTIVE", headroom.Capacity{}, `printed "ACTIVE", expected`},
		{"JSON array", "[3]", headroom.Capacity{}, `printed "[3]"`},
		{"JSON without ready", `{"launching":1}`, headroom.Capacity{}, `no "ready" field`},
		{"JSON misspelt field", `{"ready":1,"lanching":1}`, headroom.Capacity{}, `unknown field "lanching"`},
		{"JSON negative", `{"ready":-2}`, headroom.Capacity{}, `"ready" is negative`},
		{"JSON negative launching", `{"ready":2,"launching":-1}`, headroom.Capacity{}, `"launching" is negative`},
		{"JSON fraction", `{"ready":2.5}`, headroom.Capacity{}, "cannot unmarshal"},
		{"JSON string", `{"ready":"2"}`, headroom.Capacity{}, "cannot unmarshal"},
		{"JSON then more", `{"ready":2} {"ready":3}`, headroom.Capacity{}, "data after the object"},
		{"JSON cut", `{"ready":2`, headroom.Capacity{}, `printed "{\"ready\":2"`},
		{"long output is cut", strings.Repeat("x", 1000), headroom.Capacity{}, strings.Repeat("x", maxShown) + `…"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseCapacity([]byte(tt.in))
			if tt.err == "" {
				if err != nil {
					t.Fatalf("got error %v, want %+v", err, tt.want)
				}
				if got != tt.want {
					t.Errorf("got %+v, want %+v", got, tt.want)
				}
				return
			}
			if err == nil {
				t.Fatalf("got %+v, want an error containing %q", got, tt.err)
			}
			if !strings.Contains(err.Error(), tt.err) {
				t.Errorf("got error %q, want it to contain %q", err, tt.err)
			}
		})
	}
}

func FuzzParseCapacity(f *testing.F) {
	for _, s := range []string{"3", " 0\n", "-1", `{"ready":2,"launching":1}`, `{"ready":2}`, `{"launching":1}`, "garbage", "", `{"ready":1e3}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		c, err := parseCapacity(in)
		if err != nil {
			if !strings.Contains(err.Error(), "expected one non-negative integer") {
				t.Errorf("error %q does not say what was expected", err)
			}
			return
		}
		if c.Ready < 0 || c.Launching < 0 {
			t.Errorf("%q: got %+v, want no negative count", in, c)
		}
	})
}

func TestTailBuffer(t *testing.T) {
	b := &tailBuffer{max: 8}
	for _, s := range []string{"abc", "defgh", "ij", "0123456789xyz"} {
		if n, err := b.Write([]byte(s)); n != len(s) || err != nil {
			t.Fatalf("Write(%q): got %d, %v", s, n, err)
		}
	}
	if got, want := string(b.Bytes()), "56789xyz"; got != want {
		t.Errorf("Bytes: got %q, want %q", got, want)
	}
	if got, want := b.Dropped(), int64(3+5+2+13-8); got != want {
		t.Errorf("Dropped: got %d, want %d", got, want)
	}
}

func TestFormatArgs(t *testing.T) {
	got := formatArgs([]string{"aws", "--desired-count", "5", "", "night; rm -rf /", "a\nb"})
	want := `[aws --desired-count 5 "" "night; rm -rf /" "a\nb"]`
	if got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}
