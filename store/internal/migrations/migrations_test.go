package migrations

import (
	"testing"
	"testing/fstest"
)

func TestRead(t *testing.T) {
	ms, err := Read(fstest.MapFS{"migrations/0002_b.sql": {Data: []byte("B")}, "migrations/0001_a.sql": {Data: []byte("A")}, "README": {}})
	if err != nil || len(ms) != 2 || ms[0].Version != 1 || ms[0].SQL != "A" || ms[1].Name != "0002_b.sql" {
		t.Errorf("Read = %+v, %v; want 0001_a.sql then 0002_b.sql", ms, err)
	}
}

func TestBadNames(t *testing.T) {
	for _, tt := range []struct {
		name string
		fsys fstest.MapFS
	}{
		{"no version", fstest.MapFS{"migrations/journal.sql": {}}},
		{"version zero", fstest.MapFS{"migrations/0000_x.sql": {}}},
		{"version used twice", fstest.MapFS{"migrations/0001_a.sql": {}, "migrations/001_b.sql": {}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := Read(tt.fsys); err == nil {
				t.Errorf("Read(%v) = nil error, want one", tt.fsys)
			}
		})
	}
}
