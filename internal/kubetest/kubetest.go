package kubetest

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// Users in the static token file. AdminUser is in system:masters and may
// do anything; PlainUser is in no group but system:authenticated, so RBAC
// grants it nothing until a test binds a role to it.
const (
	AdminUser = "kubetest-admin"
	PlainUser = "kubetest-plain"
)

// readyTimeout bounds how long Start waits for etcd and then for
// kube-apiserver's /readyz. A start takes a few seconds; the margin is for a
// machine busy compiling other packages' tests.
const readyTimeout = 60 * time.Second

// errExited is a process that ended before it was ready: most likely a
// port taken since it was found free, so the start is tried again.
var errExited = errors.New("exited before it was ready")

// logTail is how much of each process's output a failure message carries.
const logTail = 16 << 10

// Server is an etcd and a kube-apiserver of the test's own (Start) or of the
// test binary's (Shared). It serves HTTPS on a loopback port with a
// self-signed certificate, which RESTConfig and Kubeconfig trust.
type Server struct {
	// URL is kube-apiserver's address, https://127.0.0.1:<port>.
	URL string
	// Token authenticates AdminUser as a bearer token.
	Token string
	// PlainToken authenticates PlainUser.
	PlainToken string

	dir       string // data, certificates, keys and the token file
	caData    []byte // PEM of the self-signed serving certificate and its CA
	etcd      *process
	apiserver *process
}

// Start starts etcd and kube-apiserver in a temporary directory and waits
// until kube-apiserver is ready; cleanup kills both. Without binaries the
// test is skipped, or fails under CI=true (see package doc).
func Start(t testing.TB) *Server {
	t.Helper()
	bins := findBinariesOrSkip(t)
	s, err := start(bins, t.TempDir())
	if s != nil {
		t.Cleanup(s.Stop)
	}
	if err != nil {
		t.Fatal(err)
	}
	return s
}

var shared struct {
	sync.Mutex
	inMain  bool // Main is running the tests, and will stop the server
	started bool // a start was tried; s and err hold its outcome
	s       *Server
	err     error
}

// Main runs a package's tests and then stops the server that Shared
// started, if any; a package that uses Shared calls it from TestMain:
//
//	func TestMain(m *testing.M) { os.Exit(kubetest.Main(m)) }
func Main(m *testing.M) int {
	shared.Lock()
	shared.inMain = true
	shared.Unlock()
	code := m.Run()
	shared.Lock()
	defer shared.Unlock()
	if shared.s != nil {
		shared.s.Stop()
		os.RemoveAll(shared.s.dir)
	}
	return code
}

// Shared returns the test binary's one server, starting it on the first
// call, since a start takes seconds. Tests that share it keep apart by
// working in namespaces of their own (NewNamespace). The package's TestMain
// must call Main, which stops the server when the tests are done; if the
// start failed, every test that asks for the server fails with its error.
func Shared(t testing.TB) *Server {
	t.Helper()
	bins := findBinariesOrSkip(t)
	shared.Lock()
	defer shared.Unlock()
	if !shared.inMain {
		t.Fatal("kubetest.Shared needs the package's TestMain to run its tests through kubetest.Main, which stops the shared server: func TestMain(m *testing.M) { os.Exit(kubetest.Main(m)) }")
	}
	if !shared.started {
		shared.started = true
		dir, err := os.MkdirTemp("", "kubetest-")
		if err != nil {
			shared.err = fmt.Errorf("kubetest: %w", err)
		} else {
			shared.s, shared.err = start(bins, dir)
			if shared.err != nil && shared.s != nil {
				shared.s.Stop()
				os.RemoveAll(dir)
				shared.s = nil
			}
		}
	}
	if shared.err != nil {
		t.Fatalf("shared server: %v", shared.err)
	}
	return shared.s
}

// start runs the two processes in dir. A port found free can be taken by
// another process before etcd or kube-apiserver binds it, so a start whose
// process exits is tried again on new ports, three times in all. On error the
// returned Server, if not nil, still needs Stop.
func start(bins binaries, dir string) (*Server, error) {
	s := &Server{dir: dir}
	var err error
	if s.Token, err = randomToken(); err != nil {
		return nil, err
	}
	if s.PlainToken, err = randomToken(); err != nil {
		return nil, err
	}
	tokens := fmt.Sprintf("%s,%s,%s,\"system:masters\"\n%s,%s,%s\n", s.Token, AdminUser, AdminUser, s.PlainToken, PlainUser, PlainUser)
	if err := os.WriteFile(filepath.Join(dir, "tokens.csv"), []byte(tokens), 0o600); err != nil {
		return nil, fmt.Errorf("kubetest: %w", err)
	}
	if err := writeServiceAccountKey(filepath.Join(dir, "service-account.key")); err != nil {
		return nil, err
	}
	for attempt := 1; ; attempt++ {
		err := s.startOnce(bins, filepath.Join(dir, fmt.Sprintf("attempt-%d", attempt)))
		if err == nil {
			return s, nil
		}
		s.Stop()
		if attempt == 3 || !errors.Is(err, errExited) {
			return s, err
		}
	}
}

func (s *Server) startOnce(bins binaries, dir string) error {
	ports, err := freePorts(3)
	if err != nil {
		return err
	}
	etcdClient := fmt.Sprintf("http://127.0.0.1:%d", ports[0])
	etcdPeer := fmt.Sprintf("http://127.0.0.1:%d", ports[1])
	s.URL = fmt.Sprintf("https://127.0.0.1:%d", ports[2])
	s.caData, s.etcd, s.apiserver = nil, nil, nil

	s.etcd, err = startProcess(dir, bins.Etcd,
		"--name=kubetest",
		"--data-dir="+filepath.Join(dir, "etcd"),
		"--listen-client-urls="+etcdClient,
		"--advertise-client-urls="+etcdClient,
		"--listen-peer-urls="+etcdPeer,
		"--initial-advertise-peer-urls="+etcdPeer,
		"--initial-cluster=kubetest="+etcdPeer,
		// One member has no peer to wait for: elect it at once.
		"--heartbeat-interval=10",
		"--election-timeout=50",
		// Test data need not survive a power cut; fsync is most of etcd's
		// write latency.
		"--unsafe-no-fsync",
		"--log-level=warn",
	)
	if err != nil {
		return err
	}
	if err := s.etcd.waitReady(etcdClient+"/health", nil, func(body []byte) bool {
		return bytes.Contains(body, []byte(`"health":"true"`))
	}); err != nil {
		return fmt.Errorf("etcd on %s: %w; its output:\n%s", etcdClient, err, s.etcd.tail())
	}

	certDir := filepath.Join(dir, "certs")
	s.apiserver, err = startProcess(dir, bins.APIServer,
		"--etcd-servers="+etcdClient,
		"--bind-address=127.0.0.1",
		fmt.Sprintf("--secure-port=%d", ports[2]),
		// Empty: kube-apiserver writes a self-signed apiserver.crt here,
		// valid for the bind address.
		"--cert-dir="+certDir,
		"--token-auth-file="+filepath.Join(s.dir, "tokens.csv"),
		"--authorization-mode=RBAC",
		"--service-account-issuer=https://kubernetes.default.svc.cluster.local",
		"--service-account-key-file="+filepath.Join(s.dir, "service-account.key"),
		"--service-account-signing-key-file="+filepath.Join(s.dir, "service-account.key"),
		"--service-cluster-ip-range=10.0.0.0/24",
		// No controller-manager makes service-account tokens, so the plugin
		// would reject every pod; and no Endpoints for a single loopback
		// server that no pod reaches.
		"--disable-admission-plugins=ServiceAccount",
		"--endpoint-reconciler-type=none",
		"--profiling=false",
	)
	if err != nil {
		return err
	}
	// The certificate exists only once kube-apiserver has started, so
	// /readyz is polled without verifying it; clients verify it.
	insecure := &tls.Config{InsecureSkipVerify: true}
	if err := s.apiserver.waitReady(s.URL+"/readyz", insecure, func(body []byte) bool {
		return string(body) == "ok"
	}); err != nil {
		return fmt.Errorf("kube-apiserver at %s: %w; its output:\n%s\netcd's output:\n%s", s.URL, err, s.apiserver.tail(), s.etcd.tail())
	}
	s.caData, err = os.ReadFile(filepath.Join(certDir, "apiserver.crt"))
	if err != nil {
		return fmt.Errorf("kube-apiserver's self-signed certificate: %w", err)
	}
	return nil
}

// Stop kills kube-apiserver and etcd at once (SIGKILL: nothing to shut down
// cleanly in a test) and waits for them. It leaves the files.
func (s *Server) Stop() {
	s.apiserver.kill()
	s.etcd.kill()
}

// Logs returns what kube-apiserver and etcd printed, for a test that wants
// to show them on failure.
func (s *Server) Logs() string {
	return "kube-apiserver:\n" + s.apiserver.output() + "\netcd:\n" + s.etcd.output()
}

func randomToken() (string, error) {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("kubetest: token: %w", err)
	}
	return hex.EncodeToString(b), nil
}

// writeServiceAccountKey writes the key kube-apiserver signs service-account
// tokens with; it reads the public half from the same file. ECDSA, since an
// RSA key takes a noticeable part of a second to generate.
func writeServiceAccountKey(path string) error {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return fmt.Errorf("kubetest: service-account key: %w", err)
	}
	der, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return fmt.Errorf("kubetest: service-account key: %w", err)
	}
	return os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der}), 0o600)
}

// freePorts returns n distinct loopback ports that were free when asked.
func freePorts(n int) ([]int, error) {
	var ports []int
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("kubetest: free port: %w", err)
		}
		// Held until all are chosen, so that the n differ.
		defer l.Close()
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// process is a running etcd or kube-apiserver and its output.
type process struct {
	name string
	cmd  *exec.Cmd
	done chan struct{} // closed when the process has exited
	mu   sync.Mutex
	out  bytes.Buffer
}

func startProcess(dir, bin string, args ...string) (*process, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("kubetest: %w", err)
	}
	p := &process{name: filepath.Base(bin), done: make(chan struct{})}
	p.cmd = exec.Command(bin, args...)
	p.cmd.Dir = dir
	p.cmd.Stdout, p.cmd.Stderr = p, p
	dieWithParent(p.cmd)
	if err := p.cmd.Start(); err != nil {
		return nil, fmt.Errorf("kubetest: start %s: %w", bin, err)
	}
	go func() {
		_ = p.cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

// Write collects the process's output.
func (p *process) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.out.Write(b)
}

func (p *process) output() string {
	if p == nil {
		return "(not started)\n"
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.out.String()
}

// tail is the end of the output, where a failure is told.
func (p *process) tail() string {
	out := p.output()
	if len(out) > logTail {
		out = "...\n" + out[len(out)-logTail:]
	}
	return out
}

// waitReady polls url until it answers 200 with a body that ok accepts,
// for at most readyTimeout.
func (p *process) waitReady(url string, tlsConfig *tls.Config, ok func([]byte) bool) error {
	client := &http.Client{Timeout: time.Second, Transport: &http.Transport{TLSClientConfig: tlsConfig}}
	defer client.CloseIdleConnections()
	ctx, cancel := context.WithTimeout(context.Background(), readyTimeout)
	defer cancel()
	last := errors.New("no answer yet")
	for {
		select {
		case <-p.done:
			return fmt.Errorf("%s %w (%v)", p.name, errExited, p.cmd.ProcessState)
		case <-ctx.Done():
			return fmt.Errorf("%s not ready after %s: %v", p.name, readyTimeout, last)
		case <-time.After(50 * time.Millisecond):
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		resp, err := client.Do(req)
		if err != nil {
			last = err
			continue
		}
		body, err := readAll(resp)
		switch {
		case err != nil:
			last = err
		case resp.StatusCode != http.StatusOK || !ok(body):
			last = fmt.Errorf("%s answered %s: %s", url, resp.Status, strings.TrimSpace(string(body)))
		default:
			return nil
		}
	}
}

func readAll(resp *http.Response) ([]byte, error) {
	defer resp.Body.Close()
	var b bytes.Buffer
	_, err := b.ReadFrom(resp.Body)
	return b.Bytes(), err
}

// kill ends the process, if it was started, and waits for it.
func (p *process) kill() {
	if p == nil {
		return
	}
	_ = p.cmd.Process.Kill()
	<-p.done
}
