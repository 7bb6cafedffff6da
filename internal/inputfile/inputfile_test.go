package inputfile

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func TestRead(t *testing.T) {
	dir := t.TempDir()
	small := filepath.Join(dir, "small.yaml")
	os.WriteFile(small, []byte("kind: Service\n"), 0o644)
	big := filepath.Join(dir, "big.yaml")
	os.WriteFile(big, make([]byte, 2048), 0o644)
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		path    string
		wantErr error
		want    string // in the error
	}{
		{"a regular file", small, nil, ""},
		{"above the limit", big, ErrTooLarge, "2 KiB, above the limit of 1 KiB"},
		{"a directory", dir, ErrNotRegular, "a directory"},
		{"a FIFO nobody writes to does not block", fifo, ErrNotRegular, "FIFO"},
		{"/dev/zero", "/dev/zero", ErrNotRegular, "character device"},
		{"missing", filepath.Join(dir, "nope"), fs.ErrNotExist, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data, err := Read(tt.path, 1024)
			if !errors.Is(err, tt.wantErr) || (err != nil && !strings.Contains(err.Error(), tt.want)) {
				t.Fatalf("got %v, want %v containing %q", err, tt.wantErr, tt.want)
			}
			if err == nil && string(data) != "kind: Service\n" {
				t.Errorf("got %q", data)
			}
			if err != nil && strings.Contains(err.Error(), tt.path) {
				t.Errorf("error %q repeats the path: callers name it", err)
			}
		})
	}
}

func TestSize(t *testing.T) {
	for n, want := range map[int64]string{812: "812 bytes", 16 << 20: "16 MiB", 3 << 29: "1.5 GiB", 2048: "2 KiB"} {
		if got := Size(n); got != want {
			t.Errorf("Size(%d) = %q, want %q", n, got, want)
		}
	}
}
