package browsertest

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/net/websocket"
)

// devtools is a headless Chromium driven through the Chrome DevTools
// Protocol (https://chromedevtools.github.io/devtools-protocol/), over
// the browser's WebSocket, with one page attached as a flat session.
type devtools struct {
	t       testing.TB
	ws      *websocket.Conn
	session string

	mu      sync.Mutex
	next    int
	waiting map[int]chan cdpMessage
	events  chan cdpMessage
}

type cdpMessage struct {
	ID        int             `json:"id,omitempty"`
	Method    string          `json:"method,omitempty"`
	SessionID string          `json:"sessionId,omitempty"`
	Params    any             `json:"params,omitempty"`
	Result    json.RawMessage `json:"result,omitempty"`
	Error     *struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"error,omitempty"`
	// RawParams are an event's parameters.
	RawParams json.RawMessage `json:"-"`
}

var listening = regexp.MustCompile(`DevTools listening on (ws://\S+)`)

// openDevtools starts the browser with remote debugging on a free port of
// loopback and opens a blank page. The browser and the connection end
// with the test.
func openDevtools(t testing.TB, browser string) *devtools {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	args := append(flags(t), "--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0",
		"--remote-allow-origins=http://127.0.0.1", "about:blank")
	cmd := exec.CommandContext(ctx, browser, args...)
	group(cmd)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	t.Cleanup(func() {
		cancel()
		cmd.Wait() // killed: its error says so
	})
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		var seen []string
		for sc.Scan() {
			if m := listening.FindStringSubmatch(sc.Text()); m != nil {
				found <- m[1]
				io.Copy(io.Discard, stderr)
				return
			}
			seen = append(seen, sc.Text())
		}
		found <- "\x00" + strings.Join(seen, "\n")
	}()
	var url string
	select {
	case url = <-found:
	case <-time.After(30 * time.Second):
		t.Fatal("chromium did not open its DevTools port within 30 s")
	}
	if rest, ok := strings.CutPrefix(url, "\x00"); ok {
		t.Fatalf("chromium exited before opening its DevTools port:\n%s", rest)
	}
	ws, err := websocket.Dial(url, "", "http://127.0.0.1")
	if err != nil {
		t.Fatalf("connect to chromium: %v", err)
	}
	ws.MaxPayloadBytes = 64 << 20
	t.Cleanup(func() { ws.Close() })
	d := &devtools{t: t, ws: ws, waiting: map[int]chan cdpMessage{}, events: make(chan cdpMessage, 256)}
	go d.read()
	var target struct{ TargetID string }
	d.call("", "Target.createTarget", map[string]any{"url": "about:blank"}, &target)
	var attached struct{ SessionID string }
	d.call("", "Target.attachToTarget", map[string]any{"targetId": target.TargetID, "flatten": true}, &attached)
	d.session = attached.SessionID
	return d
}

// read hands answers to their callers and events to the events channel.
func (d *devtools) read() {
	for {
		var raw []byte
		if err := websocket.Message.Receive(d.ws, &raw); err != nil {
			close(d.events)
			d.mu.Lock()
			for id, ch := range d.waiting {
				close(ch)
				delete(d.waiting, id)
			}
			d.mu.Unlock()
			return
		}
		var m struct {
			cdpMessage
			Params json.RawMessage `json:"params"`
		}
		if err := json.Unmarshal(raw, &m); err != nil {
			continue
		}
		msg := m.cdpMessage
		msg.RawParams = m.Params
		if msg.ID == 0 {
			select {
			case d.events <- msg:
			default: // nobody waits for so many events
			}
			continue
		}
		d.mu.Lock()
		ch := d.waiting[msg.ID]
		delete(d.waiting, msg.ID)
		d.mu.Unlock()
		if ch != nil {
			ch <- msg
		}
	}
}

// call sends a command (to the page's session unless session is "" and
// the page is not open yet) and decodes its result into out.
func (d *devtools) call(session, method string, params any, out any) {
	d.t.Helper()
	d.mu.Lock()
	d.next++
	id := d.next
	ch := make(chan cdpMessage, 1)
	d.waiting[id] = ch
	d.mu.Unlock()
	if err := websocket.JSON.Send(d.ws, cdpMessage{ID: id, Method: method, SessionID: session, Params: params}); err != nil {
		d.t.Fatalf("%s: %v", method, err)
	}
	select {
	case msg, ok := <-ch:
		if !ok {
			d.t.Fatalf("%s: chromium closed the connection", method)
		}
		if msg.Error != nil {
			d.t.Fatalf("%s: %s (%d)", method, msg.Error.Message, msg.Error.Code)
		}
		if out != nil {
			if err := json.Unmarshal(msg.Result, out); err != nil {
				d.t.Fatalf("%s: decode %s: %v", method, msg.Result, err)
			}
		}
	case <-time.After(120 * time.Second):
		d.t.Fatalf("%s: no answer within 120 s", method)
	}
}

// page sends a command to the page.
func (d *devtools) page(method string, params any, out any) {
	d.t.Helper()
	d.call(d.session, method, params, out)
}

// navigate loads url in the page and waits for its load event.
func (d *devtools) navigate(url string) {
	d.t.Helper()
	var nav struct{ ErrorText string }
	d.page("Page.navigate", map[string]any{"url": url}, &nav)
	if nav.ErrorText != "" {
		d.t.Fatalf("load %s: %s", url, nav.ErrorText)
	}
	deadline := time.After(60 * time.Second)
	for {
		select {
		case ev, ok := <-d.events:
			if !ok {
				d.t.Fatalf("load %s: chromium closed the connection", url)
			}
			if ev.Method == "Page.loadEventFired" && ev.SessionID == d.session {
				return
			}
		case <-deadline:
			d.t.Fatalf("load %s: no load event within 60 s", url)
		}
	}
}

// evaluate runs a script in the page, awaiting a promise it returns, and
// decodes its value into out.
func (d *devtools) evaluate(script string, out any) {
	d.t.Helper()
	var res struct {
		Result struct {
			Value json.RawMessage
		}
		ExceptionDetails *struct {
			Text      string
			Exception struct{ Description string }
		}
	}
	d.page("Runtime.evaluate", map[string]any{"expression": script, "awaitPromise": true, "returnByValue": true}, &res)
	if e := res.ExceptionDetails; e != nil {
		d.t.Fatalf("script failed: %s %s", e.Text, e.Exception.Description)
	}
	if out != nil {
		if err := json.Unmarshal(res.Result.Value, out); err != nil {
			d.t.Fatalf("script's value %.200s: %v", res.Result.Value, err)
		}
	}
}

// flags are the browser's flags for a test: headless, off the network
// this machine does not have, out of the user's profile.
func flags(t testing.TB) []string {
	return []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync", "--hide-scrollbars",
		"--force-device-scale-factor=1", "--user-data-dir=" + filepath.Join(profile(t), "profile")}
}

func jsonString(v any) (string, error) {
	b, err := json.Marshal(v)
	return string(b), err
}
