package kubetest

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// Environment variables that name the binaries; hack/build-kube.sh prints
// them and .ci/setup.d/kube.sh exports them.
const (
	envAPIServer = "HEADROOM_KUBE_APISERVER"
	envEtcd      = "HEADROOM_ETCD"
)

// keyFiles are hashed, in this order, with the Go version into the cache
// key; hack/build-kube.sh hashes the same bytes.
var keyFiles = []string{
	"hack/kube-apiserver/go.mod", "hack/kube-apiserver/go.sum", "hack/kube-apiserver/main.go",
	"hack/etcd/go.mod", "hack/etcd/go.sum", "hack/etcd/main.go",
}

// binaries are the paths of the two programs a Server runs.
type binaries struct {
	APIServer string
	Etcd      string
}

// findBinariesOrSkip returns the binaries named by HEADROOM_KUBE_APISERVER and
// HEADROOM_ETCD or, when those are unset, the ones hack/build-kube.sh left in
// its cache. When the cache has none, the test fails under CI=true (CI builds
// them first) and is skipped elsewhere; a variable that names no binary
// fails the test, since someone chose that path.
func findBinariesOrSkip(t testing.TB) binaries {
	t.Helper()
	b := binaries{APIServer: os.Getenv(envAPIServer), Etcd: os.Getenv(envEtcd)}
	if b.APIServer != "" || b.Etcd != "" {
		if b.APIServer == "" || b.Etcd == "" {
			t.Fatalf("%s=%q and %s=%q: want both set, or neither to use hack/build-kube.sh's cache", envAPIServer, b.APIServer, envEtcd, b.Etcd)
		}
		if err := b.check(); err != nil {
			t.Fatalf("%s=%q and %s=%q: %v", envAPIServer, b.APIServer, envEtcd, b.Etcd, err)
		}
		return b
	}
	b, err := cachedBinaries()
	if err == nil {
		return b
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("%v: under CI=true .ci/setup.d/kube.sh should have built them with hack/build-kube.sh and exported %s and %s", err, envAPIServer, envEtcd)
	}
	t.Skipf("%v; run `bash hack/build-kube.sh` once (several minutes) to run the tests against a real kube-apiserver", err)
	return binaries{}
}

// cachedBinaries returns the binaries in hack/build-kube.sh's cache
// directory for this checkout.
func cachedBinaries() (binaries, error) {
	dir, err := cacheDir()
	if err != nil {
		return binaries{}, fmt.Errorf("%s and %s are unset and hack/build-kube.sh's cache cannot be located: %w", envAPIServer, envEtcd, err)
	}
	b := binaries{APIServer: filepath.Join(dir, "kube-apiserver"), Etcd: filepath.Join(dir, "etcd")}
	if err := b.check(); err != nil {
		return binaries{}, fmt.Errorf("%s and %s are unset and hack/build-kube.sh's cache has no binaries for this checkout: %w", envAPIServer, envEtcd, err)
	}
	return b, nil
}

// check reports a path that is not an executable file.
func (b binaries) check() error {
	for _, p := range []string{b.APIServer, b.Etcd} {
		fi, err := os.Stat(p)
		if errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("no file %s", p)
		}
		if err != nil {
			return err
		}
		if !fi.Mode().IsRegular() || fi.Mode().Perm()&0o111 == 0 {
			return fmt.Errorf("binary %s: want an executable file, have mode %s", p, fi.Mode())
		}
	}
	return nil
}

// cacheDir is where hack/build-kube.sh puts the binaries for the hack
// modules of the repository the test runs in and for the Go version the
// test was built with: $XDG_CACHE_HOME/headroom/kube/<key>, or
// ~/.cache/headroom/kube/<key>.
func cacheDir() (string, error) {
	root, err := repoRoot()
	if err != nil {
		return "", err
	}
	key, err := cacheKey(root, runtime.Version())
	if err != nil {
		return "", err
	}
	base := os.Getenv("XDG_CACHE_HOME")
	if base == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", err
		}
		base = filepath.Join(home, ".cache")
	}
	return filepath.Join(base, "headroom", "kube", key), nil
}

// cacheKey is the first 16 hex digits of the SHA-256 of the hack modules'
// go.mod, go.sum and main.go under root followed by goVersion and a newline,
// as hack/build-kube.sh computes it with `go env GOVERSION`.
func cacheKey(root, goVersion string) (string, error) {
	h := sha256.New()
	for _, f := range keyFiles {
		data, err := os.ReadFile(filepath.Join(root, f))
		if err != nil {
			return "", fmt.Errorf("cache key: %w", err)
		}
		h.Write(data)
	}
	fmt.Fprintln(h, goVersion)
	return hex.EncodeToString(h.Sum(nil))[:16], nil
}

// repoRoot walks up from the working directory (a package's directory
// under go test) to the directory that holds hack/kube-apiserver.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		_, err := os.Stat(filepath.Join(dir, "hack", "kube-apiserver", "go.mod"))
		if err == nil {
			return dir, nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return "", err
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no hack/kube-apiserver/go.mod in the working directory or above it: want to run inside the headroom repository")
		}
		dir = parent
	}
}
