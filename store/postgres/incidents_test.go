package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/headroomhq/headroom"
	"github.com/headroomhq/headroom/incident"
	"github.com/headroomhq/headroom/internal/pgtest"
	"github.com/headroomhq/headroom/store/postgres"
	"github.com/headroomhq/headroom/store/storetest"
)

func TestIncidents(t *testing.T) {
	// reopen needs each store's database: the stores of the running
	// subtest, which run one at a time.
	urls := map[incident.Store]string{}
	storetest.RunIncidents(t, func(t *testing.T) incident.Store {
		url := pgtest.NewDatabase(t)
		db, err := postgres.Open(t.Context(), url)
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		urls[db] = url
		t.Cleanup(func() { db.Close() }) // a reopened db is closed already
		return db
	}, storetest.Reopen(func(t *testing.T, s incident.Store) incident.Store {
		url := urls[s]
		if err := s.(*postgres.DB).Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
		db := openDB(t, url)
		urls[db] = url
		return db
	}))
}

// TestIncidentsAcrossPools races commits from pools that each opened the
// database, as separate serve processes would: of writers of one incident
// version one wins, the others get ECONFLICT, none deadlocks.
func TestIncidentsAcrossPools(t *testing.T) {
	url := pgtest.NewDatabase(t)
	var pools []*postgres.DB
	for range 4 {
		pools = append(pools, openDB(t, url))
	}
	ctx := t.Context()
	inc := incident.Incident{ID: "a", Kind: incident.KindIncident, Version: 1}
	if err := pools[0].Commit(ctx, &incident.Change{Incident: &inc}); err != nil {
		t.Fatal(err)
	}
	errs := make(chan error, len(pools))
	for i, db := range pools {
		go func() {
			racer := inc
			racer.Version = 2
			racer.Name = string(rune('A' + i))
			// Half of them write the components in the other order:
			// without Commits taking turns, they would deadlock.
			comps := []incident.Component{{ID: "api", Status: incident.MajorOutage}, {ID: "db", Status: incident.PartialOutage}}
			if i%2 == 1 {
				comps[0], comps[1] = comps[1], comps[0]
			}
			errs <- db.Commit(ctx, &incident.Change{Components: comps, Incident: &racer})
		}()
	}
	won := 0
	for range pools {
		err := <-errs
		switch headroom.ErrorCode(err) {
		case "":
			won++
		case headroom.ECONFLICT:
		default:
			t.Errorf("racing Commit: %v, want nil or ECONFLICT", err)
		}
	}
	if won != 1 {
		t.Errorf("%d racers won, want 1", won)
	}
	if v, err := pools[1].Version(ctx); err != nil || v != 2 {
		t.Errorf("Version = %d, %v; want 2", v, err)
	}
}

// TestCommitUsesNow: one reading of DB.Now stamps the deliveries a
// Commit queues, to the nanosecond; the server's clock plays no part.
func TestCommitUsesNow(t *testing.T) {
	db := openDB(t, pgtest.NewDatabase(t))
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

// TestIncidentText: text PostgreSQL cannot hold is refused in what people
// wrote, and replaced in a receiver's error.
func TestIncidentText(t *testing.T) {
	db := openDB(t, pgtest.NewDatabase(t))
	ctx := t.Context()
	refused := map[string]*incident.Change{
		"NUL in a body": {Incident: &incident.Incident{ID: "i", Version: 1,
			Updates: []incident.Update{{ID: "u", Body: "a\x00b"}}}},
		"invalid UTF-8 in a name":        {Components: []incident.Component{{ID: "api", Name: "\xff"}}},
		"NUL in an affected name (JSON)": {Incident: &incident.Incident{ID: "i", Version: 1, Updates: []incident.Update{{ID: "u", Affected: []incident.Affected{{Name: "a\x00"}}}}}},
	}
	for name, c := range refused {
		if got := headroom.ErrorCode(db.Commit(ctx, c)); got != headroom.EINVALID {
			t.Errorf("Commit with %s: error code %q, want %q", name, got, headroom.EINVALID)
		}
	}
	if v, err := db.Version(ctx); err != nil || v != 0 {
		t.Errorf("Version after refused commits = %d, %v; want 0", v, err)
	}

	if err := db.AddSubscriber(ctx, incident.Subscriber{ID: "s", URL: "https://example.com"}); err != nil {
		t.Fatal(err)
	}
	if err := db.Commit(ctx, &incident.Change{Notify: &incident.Notification{Payload: []byte("\x00\xff binary")}}); err != nil {
		t.Fatalf("Commit of a binary payload: %v", err)
	}
	due, err := db.DueDeliveries(ctx, time.Now(), 1)
	if err != nil || len(due) != 1 {
		t.Fatalf("DueDeliveries = %v, %v; want one", due, err)
	}
	if string(due[0].Payload) != "\x00\xff binary" {
		t.Errorf("payload = %q, want it byte for byte", due[0].Payload)
	}
	if err := db.Retry(ctx, due[0].ID, time.Now(), "HTTP 502: \x00\xfe"); err != nil {
		t.Fatalf("Retry with NUL and invalid UTF-8 in the error: %v", err)
	}
	due, err = db.DueDeliveries(ctx, time.Now(), 1)
	if err != nil || len(due) != 1 || due[0].LastError != "HTTP 502: \uFFFD\uFFFD" {
		t.Errorf("after Retry: %+v, %v; want LastError %q", due, err, "HTTP 502: \uFFFD\uFFFD")
	}
}

func TestIncidentErrors(t *testing.T) {
	db, err := postgres.Open(t.Context(), pgtest.NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	year3000 := time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC)
	invalid := map[string]error{
		"nil change":     db.Commit(ctx, nil),
		"component time": db.Commit(ctx, &incident.Change{Components: []incident.Component{{ID: "api", UpdatedAt: year3000}}}),
		"history time":   db.Commit(ctx, &incident.Change{History: []incident.StatusChange{{ComponentID: "api", At: year3000}}}),
		"incident time":  db.Commit(ctx, &incident.Change{Incident: &incident.Incident{ID: "i", Version: 1, ResolvedAt: year3000}}),
		"load since":     func() error { _, err := db.Load(ctx, year3000); return err }(),
		"revoke at zero": db.RevokeToken(ctx, "t", time.Time{}),
		"retry at zero":  db.Retry(ctx, 1, time.Time{}, ""),
	}
	for name, err := range invalid {
		if got := headroom.ErrorCode(err); got != headroom.EINVALID {
			t.Errorf("%s: error code %q (%v), want %q", name, got, err, headroom.EINVALID)
		}
	}
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
	db.Close()
	if got := headroom.ErrorCode(db.Commit(ctx, &incident.Change{})); got != headroom.EINTERNAL {
		t.Errorf("Commit on a closed pool: error code %q, want %q", got, headroom.EINTERNAL)
	}
}

// TestIncidentsServerDown: every call fails EUNAVAILABLE while the server
// is down, so that the status page keeps serving its last snapshot and
// retries.
func TestIncidentsServerDown(t *testing.T) {
	s := pgtest.Start(t)
	db := openDB(t, s.NewDatabase(t))
	if _, err := db.Version(t.Context()); err != nil {
		t.Fatalf("Version while the server is up: %v", err)
	}
	s.Kill()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	calls := map[string]func() error{
		"load":              func() error { _, err := db.Load(ctx, time.Time{}); return err },
		"commit":            func() error { return db.Commit(ctx, &incident.Change{}) },
		"version":           func() error { _, err := db.Version(ctx); return err },
		"create token":      func() error { return db.CreateToken(ctx, incident.Token{ID: "t"}) },
		"tokens":            func() error { _, err := db.Tokens(ctx); return err },
		"revoke token":      func() error { return db.RevokeToken(ctx, "t", time.Now()) },
		"add subscriber":    func() error { return db.AddSubscriber(ctx, incident.Subscriber{ID: "s"}) },
		"subscribers":       func() error { _, err := db.Subscribers(ctx); return err },
		"remove subscriber": func() error { return db.RemoveSubscriber(ctx, "s") },
		"due deliveries":    func() error { _, err := db.DueDeliveries(ctx, time.Now(), 1); return err },
		"delivered":         func() error { return db.Delivered(ctx, 1) },
		"retry":             func() error { return db.Retry(ctx, 1, time.Now(), "") },
	}
	for name, call := range calls {
		if got := headroom.ErrorCode(call()); got != headroom.EUNAVAILABLE {
			t.Errorf("%s with the server down: error code %q, want %q", name, got, headroom.EUNAVAILABLE)
		}
	}
}
