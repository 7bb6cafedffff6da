package incident_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/headroomhq/headroom"
	"github.com/headroomhq/headroom/incident"
	"github.com/headroomhq/headroom/store/memory"
)

// wantCode fails unless err is a *headroom.Error with code.
func wantCode(t *testing.T, err error, code string) *headroom.Error {
	t.Helper()
	var e *headroom.Error
	if !errors.As(err, &e) || e.Code != code {
		t.Fatalf("error = %v; want a *headroom.Error with code %q", err, code)
	}
	return e
}

// clock is a settable test clock.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// ids returns deterministic IDs: prefix001, prefix002, ...
func ids(prefix string) func() string {
	var mu sync.Mutex
	n := 0
	return func() string {
		mu.Lock()
		defer mu.Unlock()
		n++
		return fmt.Sprintf("%s%03d", prefix, n)
	}
}

// bitbucket is the page of the seed incident: Bitbucket's components, the
// Git ones in a group.
var bitbucketPage = incident.Page{ID: "bqlf8qjztdtr", Name: "Atlassian Bitbucket", URL: "https://bitbucket.status.atlassian.com", TimeZone: "Etc/UTC"}

func bitbucketConfig(store incident.Store, c *clock) incident.Config {
	return incident.Config{
		Store: store,
		Page:  bitbucketPage,
		Groups: []incident.Group{
			{ID: "git", Name: "Git", Position: 3},
		},
		Components: []incident.Component{
			{ID: "website", Name: "Website", Position: 1},
			{ID: "api", Name: "API", Position: 2},
			{ID: "git-https", Name: "Git via HTTPS", GroupID: "git", Position: 1},
			{ID: "git-ssh", Name: "Git via SSH", GroupID: "git", Position: 2},
		},
		Now:   c.Now,
		NewID: ids("id"),
	}
}

// existingComponents stores the page's components as created on created,
// long before the tests' days, so that uptime counts every day.
func existingComponents(t *testing.T, store incident.Store, created time.Time) {
	t.Helper()
	var ch incident.Change
	for _, id := range []string{"website", "api", "git-https", "git-ssh"} {
		ch.Components = append(ch.Components, incident.Component{ID: id, Name: id, Status: incident.Operational, CreatedAt: created, UpdatedAt: created})
	}
	if err := store.Commit(context.Background(), &ch); err != nil {
		t.Fatal(err)
	}
}

// newService starts a Service on the Bitbucket page at now, over store
// (a new memory.Incidents when nil) whose components exist since 2014.
func newService(t *testing.T, store incident.Store, now time.Time) (*incident.Service, *clock, incident.Store) {
	t.Helper()
	c := &clock{now: now}
	if store == nil {
		m := &memory.Incidents{Now: c.Now}
		existingComponents(t, m, time.Date(2014, 5, 3, 1, 22, 7, 0, time.UTC))
		store = m
	}
	s, err := incident.NewService(t.Context(), bitbucketConfig(store, c))
	if err != nil {
		t.Fatal(err)
	}
	return s, c, store
}

func mustOpen(t *testing.T, s *incident.Service, o incident.OpenIncident) *incident.Incident {
	t.Helper()
	inc, err := s.Open(t.Context(), o)
	if err != nil {
		t.Fatal(err)
	}
	return inc
}

func mustUpdate(t *testing.T, s *incident.Service, id string, u incident.PostUpdate) *incident.Incident {
	t.Helper()
	inc, err := s.Update(t.Context(), id, u)
	if err != nil {
		t.Fatal(err)
	}
	return inc
}

func componentStatus(t *testing.T, s *incident.Service, id string) incident.ComponentStatus {
	t.Helper()
	for _, c := range s.Snapshot().Components {
		if c.ID == id {
			return c.Status
		}
	}
	t.Fatalf("component %q not in the snapshot", id)
	return ""
}

func storeVersion(t *testing.T, store incident.Store) int64 {
	t.Helper()
	v, err := store.Version(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return v
}
