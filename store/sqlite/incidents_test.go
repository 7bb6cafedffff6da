package sqlite_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/headroomhq/headroom"
	"github.com/headroomhq/headroom/incident"
	"github.com/headroomhq/headroom/store/sqlite"
	"github.com/headroomhq/headroom/store/storetest"
)

// incidentCrashChildEnv, when set to a database path, turns the test
// binary into the writer of TestCrashKeepsAcknowledgedCommits.
const incidentCrashChildEnv = "HEADROOM_SQLITE_INCIDENT_CRASH_CHILD"

func TestIncidents(t *testing.T) {
	// reopen needs each store's file: the stores of the running subtest,
	// which run one at a time.
	paths := map[incident.Store]string{}
	storetest.RunIncidents(t, func(t *testing.T) incident.Store {
		path := filepath.Join(t.TempDir(), "headroom.db")
		db, err := sqlite.Open(t.Context(), path)
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		paths[db] = path
		t.Cleanup(func() { db.Close() }) // a reopened db is closed already
		return db
	}, storetest.Reopen(func(t *testing.T, s incident.Store) incident.Store {
		path := paths[s]
		if err := s.(*sqlite.DB).Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
		db := openDB(t, path)
		paths[db] = path
		return db
	}))
}

// TestCommitUsesNow: one reading of DB.Now stamps the deliveries a
// Commit queues, to the nanosecond.
func TestCommitUsesNow(t *testing.T) {
	db := openDB(t, filepath.Join(t.TempDir(), "headroom.db"))
	now := time.Date(2026, 3, 14, 15, 9, 26, 535897932, time.UTC)
	reads := 0
	db.Now = func() time.Time { reads++; return now.Add(time.Duration(reads-1) * time.Second) }
	for _, id := range []string{"a", "b"} {
		if err := db.AddSubscriber(t.Context(), incident.Subscriber{ID: id, URL: "https://example.com/" + id}); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Commit(t.Context(), &incident.Change{Notify: &incident.Notification{Payload: []byte("{}")}}); err != nil {
		t.Fatal(err)
	}
	got, err := db.DueDeliveries(t.Context(), now, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("DueDeliveries(now) = %d deliveries, want 2", len(got))
	}
	for _, d := range got {
		if !d.NextAt.Equal(now) || !d.CreatedAt.Equal(now) {
			t.Errorf("delivery to %s: NextAt %v, CreatedAt %v; want both %v", d.SubscriberID, d.NextAt, d.CreatedAt, now)
		}
	}
}

func TestIncidentErrors(t *testing.T) {
	db := openDB(t, filepath.Join(t.TempDir(), "headroom.db"))
	ctx := t.Context()
	year3000 := time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC)
	invalid := []struct {
		name string
		err  error
	}{
		{"nil change", db.Commit(ctx, nil)},
		{"component time", db.Commit(ctx, &incident.Change{Components: []incident.Component{{ID: "api", UpdatedAt: year3000}}})},
		{"history time", db.Commit(ctx, &incident.Change{History: []incident.StatusChange{{ComponentID: "api", At: year3000}}})},
		{"incident time", db.Commit(ctx, &incident.Change{Incident: &incident.Incident{ID: "i", Version: 1, ResolvedAt: year3000}})},
		{"update time", db.Commit(ctx, &incident.Change{Incident: &incident.Incident{ID: "i", Version: 1,
			Updates: []incident.Update{{ID: "u", DisplayAt: year3000}}}})},
		{"load since", func() error { _, err := db.Load(ctx, year3000); return err }()},
		{"revoke at zero", db.RevokeToken(ctx, "t", time.Time{})},
		{"retry at zero", db.Retry(ctx, 1, time.Time{}, "")},
		{"due now", func() error { _, err := db.DueDeliveries(ctx, year3000, 1); return err }()},
	}
	for _, tt := range invalid {
		if got := headroom.ErrorCode(tt.err); got != headroom.EINVALID {
			t.Errorf("%s: error code %q (%v), want %q", tt.name, got, tt.err, headroom.EINVALID)
		}
	}
	// Nothing of the refused commits is stored, and none counted.
	if v, err := db.Version(ctx); err != nil || v != 0 {
		t.Errorf("Version after refused commits = %d, %v; want 0", v, err)
	}

	// A taken id is a conflict.
	if err := db.CreateToken(ctx, incident.Token{ID: "t"}); err != nil {
		t.Fatal(err)
	}
	if err := db.AddSubscriber(ctx, incident.Subscriber{ID: "s"}); err != nil {
		t.Fatal(err)
	}
	for name, err := range map[string]error{
		"create token twice":   db.CreateToken(ctx, incident.Token{ID: "t"}),
		"add subscriber twice": db.AddSubscriber(ctx, incident.Subscriber{ID: "s"}),
	} {
		if got := headroom.ErrorCode(err); got != headroom.ECONFLICT {
			t.Errorf("%s: error code %q (%v), want %q", name, got, err, headroom.ECONFLICT)
		}
	}

	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	closed := map[string]error{
		"load":    func() error { _, err := db.Load(ctx, time.Time{}); return err }(),
		"commit":  db.Commit(ctx, &incident.Change{}),
		"version": func() error { _, err := db.Version(ctx); return err }(),
		"tokens":  func() error { _, err := db.Tokens(ctx); return err }(),
		"due":     func() error { _, err := db.DueDeliveries(ctx, time.Now(), 1); return err }(),
	}
	for name, err := range closed {
		if got := headroom.ErrorCode(err); got != headroom.EINTERNAL {
			t.Errorf("%s on a closed database: error code %q (%v), want %q", name, got, err, headroom.EINTERNAL)
		}
	}
}

// crashUpdates is how many updates the crash child's incident keeps:
// the newest.
const crashUpdates = 10

// crashStatus is the api component's status after commit v.
func crashStatus(v int64) incident.ComponentStatus {
	return incident.ComponentStatuses[int(v)%len(incident.ComponentStatuses)]
}

// crashAt is the time of commit v.
func crashAt(v int64) time.Time {
	return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(v) * time.Millisecond)
}

// incidentCrashChild commits versions of one incident to path until
// killed, each with a component change, a history entry and a
// notification, printing the version once Commit returned.
func incidentCrashChild(path string) int {
	ctx := context.Background()
	db, err := sqlite.Open(ctx, path)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if err := db.AddSubscriber(ctx, incident.Subscriber{ID: "all", URL: "https://hooks.example.com", Secret: "k"}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	inc := incident.Incident{ID: "crash", Kind: incident.KindIncident, Name: "Crash", Status: incident.Investigating,
		Impact: incident.ImpactMajor, ComponentIDs: []string{"api"}, CreatedAt: crashAt(0)}
	for v := int64(1); v <= 1_000_000; v++ { // bounded, should the parent die first
		inc.Version = v
		inc.UpdatedAt = crashAt(v)
		u := incident.Update{ID: fmt.Sprintf("u%d", v), Status: incident.Investigating,
			Body: fmt.Sprintf("update %d: «still» investigating", v), CreatedAt: crashAt(v), DisplayAt: crashAt(v),
			Affected: []incident.Affected{{ComponentID: "api", Name: "API", Old: crashStatus(v - 1), New: crashStatus(v)}}}
		inc.Updates = append([]incident.Update{u}, inc.Updates[:min(len(inc.Updates), crashUpdates-1)]...)
		err := db.Commit(ctx, &incident.Change{
			Components: []incident.Component{{ID: "api", Name: "API", Status: crashStatus(v), UpdatedAt: crashAt(v)}},
			History:    []incident.StatusChange{{ComponentID: "api", At: crashAt(v), From: crashStatus(v - 1), To: crashStatus(v)}},
			Incident:   &inc,
			Notify:     &incident.Notification{ComponentIDs: []string{"api"}, Payload: []byte(strconv.FormatInt(v, 10))},
		})
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		fmt.Printf("%d\n", v) // os.Stdout is unbuffered: acknowledged now
	}
	return 0
}

// TestCrashKeepsAcknowledgedCommits kills (SIGKILL) a process committing
// incident updates, then checks that every commit it acknowledged is
// there, whole, and that the file is sound.
func TestCrashKeepsAcknowledgedCommits(t *testing.T) {
	if testing.Short() {
		t.Skip("re-executes the test binary")
	}
	path := filepath.Join(t.TempDir(), "headroom.db")
	cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), incidentCrashChildEnv+"="+path)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var acked int64
	killed := false
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		v, err := strconv.ParseInt(sc.Text(), 10, 64)
		if err != nil {
			t.Fatalf("child printed %q", sc.Text())
		}
		acked = v
		if v >= 200 && !killed {
			if err := cmd.Process.Kill(); err != nil { // SIGKILL on Unix
				t.Fatal(err)
			}
			killed = true
		}
	}
	// Lines printed before the kill are still read: each is a committed
	// version.
	err = cmd.Wait()
	if !killed {
		t.Fatalf("child exited before being killed: %v\n%s", err, stderr.String())
	}
	t.Logf("child killed after acknowledging %d commits", acked)

	var check string
	if err := sqlDB(t, path).QueryRow(`PRAGMA integrity_check`).Scan(&check); err != nil || check != "ok" {
		t.Errorf("integrity_check = %q, %v; want ok", check, err)
	}
	rows, err := sqlDB(t, path).Query(`PRAGMA foreign_key_check`)
	if err != nil {
		t.Fatal(err)
	}
	if rows.Next() {
		t.Error("foreign_key_check found rows without their parent")
	}
	rows.Close()

	db := openDB(t, path)
	ctx := t.Context()
	v, err := db.Version(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if v < acked {
		t.Fatalf("after the crash: version %d, want at least the %d acknowledged", v, acked)
	}
	// Each commit is there whole or not at all: the incident, the
	// component, the history and the outbox all say v.
	d, err := db.Load(ctx, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if d.Version != v || len(d.Incidents) != 1 || len(d.Components) != 1 || int64(len(d.History)) != v {
		t.Fatalf("after the crash at version %d: Load has version %d, %d incidents, %d components, %d history entries; want %[1]d, 1, 1, %[1]d",
			v, d.Version, len(d.Incidents), len(d.Components), len(d.History))
	}
	inc := d.Incidents[0]
	if inc.Version != v || len(inc.Updates) != int(min(v, crashUpdates)) || inc.Updates[0].ID != fmt.Sprintf("u%d", v) {
		t.Errorf("incident after the crash: version %d, %d updates, newest %s; want %d, %d, u%[4]d",
			inc.Version, len(inc.Updates), inc.Updates[0].ID, v, min(v, crashUpdates))
	}
	if c := d.Components[0]; c.Status != crashStatus(v) || !c.UpdatedAt.Equal(crashAt(v)) {
		t.Errorf("component after the crash: %s at %v, want %s at %v", c.Status, c.UpdatedAt, crashStatus(v), crashAt(v))
	}
	for i, h := range d.History {
		if want := crashAt(int64(i + 1)); !h.At.Equal(want) || h.To != crashStatus(int64(i+1)) {
			t.Fatalf("history entry %d = %+v, want %s at %v", i, h, crashStatus(int64(i+1)), want)
		}
	}
	due, err := db.DueDeliveries(ctx, time.Now(), int(v)+10)
	if err != nil {
		t.Fatal(err)
	}
	if int64(len(due)) != v {
		t.Fatalf("after the crash at version %d: %d deliveries, want %d", v, len(due), v)
	}
	for i, dl := range due {
		if want := strconv.Itoa(i + 1); string(dl.Payload) != want {
			t.Fatalf("delivery %d has payload %q, want %q", i, dl.Payload, want)
		}
	}

	// The store goes on from there.
	inc.Version = v + 1
	if err := db.Commit(ctx, &incident.Change{Incident: &inc}); err != nil {
		t.Fatalf("Commit after the crash: %v", err)
	}
	if got, err := db.Version(ctx); err != nil || got != v+1 {
		t.Errorf("Version after a commit = %d, %v; want %d", got, err, v+1)
	}
}
