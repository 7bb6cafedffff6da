// Package inputfile opens and reads the files a user names on the command
// line or in a config: regular files only, and whole reads up to a limit.
//
// A path to a device, a FIFO or a directory is a typo (--service /dev/zero,
// a FIFO nobody writes to), and a file read whole with no limit lets one
// such typo take all the memory of a CI runner. Callers wrap the errors in
// a headroom.InputError naming the file.
package inputfile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
)

// MaxDocumentSize bounds a policy, service or config file read whole: 16
// MiB is a thousand times the largest real policy, and YAML or JSON of that
// size decodes in well under a second.
const MaxDocumentSize = 16 << 20

// ErrNotRegular is returned for a path that is not a regular file.
var ErrNotRegular = errors.New("not a regular file")

// ErrTooLarge is returned for a file above the limit of a whole read.
var ErrTooLarge = errors.New("file too large")

// Open opens path for reading and refuses anything but a regular file (a
// symbolic link to one is followed). Errors are the *fs.PathError's cause
// (fs.ErrNotExist, fs.ErrPermission, ...) without the path, or an error
// wrapping ErrNotRegular that says what the path is.
func Open(path string) (*os.File, error) {
	// Stat first: opening a FIFO for reading blocks until a writer comes.
	fi, err := os.Stat(path)
	if err != nil {
		return nil, cause(err)
	}
	if err := regular(fi); err != nil {
		return nil, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, cause(err)
	}
	// Again on the open file: the path may have changed in between.
	if fi, err = f.Stat(); err != nil {
		f.Close()
		return nil, cause(err)
	}
	if err := regular(fi); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// Read reads the regular file at path whole, and refuses one of more than
// limit bytes with an error wrapping ErrTooLarge that names the limit. It
// returns Open's errors too.
func Read(path string, limit int64) ([]byte, error) {
	f, err := Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.Size() > limit {
		return nil, tooLarge(fi.Size(), limit)
	}
	// The size may change while we read: the limit holds whatever it is.
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, cause(err)
	}
	if int64(len(data)) > limit {
		return nil, tooLarge(-1, limit)
	}
	return data, nil
}

func tooLarge(size, limit int64) error {
	if size >= 0 {
		return fmt.Errorf("%w: %s, above the limit of %s", ErrTooLarge, Size(size), Size(limit))
	}
	return fmt.Errorf("%w: above the limit of %s", ErrTooLarge, Size(limit))
}

// regular refuses what fi describes unless it is a regular file.
func regular(fi fs.FileInfo) error {
	m := fi.Mode()
	var what string
	switch {
	case m.IsRegular():
		return nil
	case m.IsDir():
		what = "a directory"
	case m&fs.ModeNamedPipe != 0:
		what = "a named pipe (FIFO)"
	case m&fs.ModeSocket != 0:
		what = "a socket"
	case m&fs.ModeCharDevice != 0:
		what = "a character device"
	case m&fs.ModeDevice != 0:
		what = "a device"
	default:
		what = "a special file"
	}
	return fmt.Errorf("%w: %s", ErrNotRegular, what)
}

// cause drops the path of a *fs.PathError: the caller's error names the
// file already.
func cause(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// Size formats a byte count for messages: "16 MiB", "1.5 GiB", "812 bytes".
func Size(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d bytes", n)
	}
	v, suffix := float64(n), ""
	for _, s := range []string{"KiB", "MiB", "GiB", "TiB", "PiB"} {
		v, suffix = v/unit, s
		if v < unit {
			break
		}
	}
	if v == float64(int64(v)) {
		return fmt.Sprintf("%d %s", int64(v), suffix)
	}
	return fmt.Sprintf("%.1f %s", v, suffix)
}
