package mailtest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// Version is the mailpit module hack/build-mailpit.sh builds: keep the two
// in step (its cache directory is named after it and the Go version).
const Version = "v1.33.1"

// envMailpit names the binary; hack/build-mailpit.sh prints it and
// .ci/setup.d/mailpit.sh exports it.
const envMailpit = "HEADROOM_MAILPIT"

// Server is a running mailpit.
type Server struct {
	// SMTPAddr is where it takes mail (host:port on loopback); API the
	// base URL of its HTTP API.
	SMTPAddr string
	API      string

	t    testing.TB
	cmd  *exec.Cmd
	once sync.Once
	log  *strings.Builder
}

// Start runs mailpit on free loopback ports until the test ends, with
// mailpit's own flags added (such as --smtp-allowed-recipients).
func Start(t testing.TB, flags ...string) *Server {
	t.Helper()
	return StartAt(t, freeAddr(t), flags...)
}

// StartAt runs mailpit taking mail at smtpAddr: a test that had its
// senders fail while no server listened there starts one later.
func StartAt(t testing.TB, smtpAddr string, flags ...string) *Server {
	t.Helper()
	bin := findOrSkip(t)
	apiAddr := freeAddr(t)
	var log strings.Builder
	cmd := exec.Command(bin, append([]string{"--smtp", smtpAddr, "--listen", apiAddr, "--database", filepath.Join(t.TempDir(), "mailpit.db"),
		"--smtp-auth-allow-insecure", "--smtp-auth-accept-any", "--disable-version-check", "--quiet"}, flags...)...)
	// One writer for both: exec copies them in one goroutine.
	out := &lockedWriter{w: &log}
	cmd.Stdout, cmd.Stderr = out, out
	dieWithParent(cmd)
	if err := cmd.Start(); err != nil {
		t.Fatalf("mailtest: start %s: %v", bin, err)
	}
	s := &Server{SMTPAddr: smtpAddr, API: "http://" + apiAddr, t: t, cmd: cmd, log: &log}
	t.Cleanup(s.Stop)
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(s.API + "/readyz")
		if err == nil {
			resp.Body.Close()
			conn, err := net.DialTimeout("tcp", smtpAddr, time.Second)
			if resp.StatusCode == http.StatusOK && err == nil {
				conn.Close()
				return s
			}
		}
		if time.Now().After(deadline) {
			s.Stop()
			t.Fatalf("mailtest: mailpit not ready at %s and %s after 30s; its output:\n%s", smtpAddr, s.API, log.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Stop kills mailpit; what it received is gone with it.
func (s *Server) Stop() {
	s.once.Do(func() {
		s.cmd.Process.Kill()
		s.cmd.Wait()
	})
}

// Address is a message's sender or recipient.
type Address struct {
	Name, Address string
}

// Message is one received mail: its summary, its text part and its
// headers.
type Message struct {
	ID      string
	Subject string
	From    Address
	To      []Address
	Text    string
	Headers map[string][]string
}

// Messages returns every received mail, oldest first.
func (s *Server) Messages(ctx context.Context) ([]Message, error) {
	var list struct {
		Messages []struct {
			ID string
		}
	}
	if err := s.get(ctx, "/api/v1/messages?limit=1000", &list); err != nil {
		return nil, err
	}
	out := make([]Message, 0, len(list.Messages))
	// The API lists the newest first.
	for i := len(list.Messages) - 1; i >= 0; i-- {
		id := list.Messages[i].ID
		var m Message
		if err := s.get(ctx, "/api/v1/message/"+url.PathEscape(id), &m); err != nil {
			return nil, err
		}
		if err := s.get(ctx, "/api/v1/message/"+url.PathEscape(id)+"/headers", &m.Headers); err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, nil
}

// Wait polls until want of the received mails are true of keep, or the
// timeout passes (a failure naming what arrived).
func (s *Server) Wait(t testing.TB, timeout time.Duration, want int, keep func(Message) bool) []Message {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		all, err := s.Messages(t.Context())
		if err != nil {
			t.Fatalf("mailtest: %v", err)
		}
		var got []Message
		for _, m := range all {
			if keep == nil || keep(m) {
				got = append(got, m)
			}
		}
		if len(got) >= want {
			return got
		}
		if time.Now().After(deadline) {
			var subjects []string
			for _, m := range all {
				subjects = append(subjects, fmt.Sprintf("%q to %v", m.Subject, m.To))
			}
			t.Fatalf("mailtest: %d matching mails after %v, want %d; received: %v", len(got), timeout, want, subjects)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (s *Server) get(ctx context.Context, path string, into any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.API+path, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("mailpit API: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("mailpit API %s: %w", path, err)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("mailpit API %s: %s: %s", path, resp.Status, body)
	}
	if err := json.Unmarshal(body, into); err != nil {
		return fmt.Errorf("mailpit API %s: %w", path, err)
	}
	return nil
}

// freeAddr returns a loopback address no one listens on now.
func freeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// FreeAddr is a loopback address no one listens on now: where a test's
// senders fail before it starts mailpit there with StartAt.
func FreeAddr(t testing.TB) string {
	t.Helper()
	return freeAddr(t)
}

// findOrSkip returns HEADROOM_MAILPIT or the binary in
// hack/build-mailpit.sh's cache; see the package doc for when there is
// none.
func findOrSkip(t testing.TB) string {
	t.Helper()
	if p := os.Getenv(envMailpit); p != "" {
		if err := executable(p); err != nil {
			t.Fatalf("%s=%q: %v", envMailpit, p, err)
		}
		return p
	}
	p, err := cached()
	if err == nil {
		if err = executable(p); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("mailtest: %v: under CI=true .ci/setup.d/mailpit.sh should have built mailpit with hack/build-mailpit.sh and exported %s", err, envMailpit)
	}
	t.Skipf("mailtest: %v; run `bash hack/build-mailpit.sh` once (about a minute) to run the tests against a real SMTP server", err)
	return ""
}

// cached is where hack/build-mailpit.sh puts mailpit for the Go version the
// test was built with: $XDG_CACHE_HOME/headroom/mailpit/<Version>-<go>/mailpit,
// or under ~/.cache.
func cached() (string, error) {
	base := os.Getenv("XDG_CACHE_HOME")
	if base == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", fmt.Errorf("%s is unset and the cache cannot be located: %w", envMailpit, err)
		}
		base = filepath.Join(home, ".cache")
	}
	return filepath.Join(base, "headroom", "mailpit", Version+"-"+runtime.Version(), "mailpit"), nil
}

func executable(p string) error {
	fi, err := os.Stat(p)
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%s is unset and there is no mailpit at %s", envMailpit, p)
	}
	if err != nil {
		return err
	}
	if !fi.Mode().IsRegular() || fi.Mode().Perm()&0o111 == 0 {
		return fmt.Errorf("mailpit %s: want an executable file, have mode %s", p, fi.Mode())
	}
	return nil
}

// lockedWriter lets mailpit's stdout and stderr share one log.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
