package incident_test

import (
	"testing"

	"github.com/headroomhq/headroom/incident"
	"github.com/headroomhq/headroom/store/storetest"
)

// TestMemoryStoreContract runs the incident.Store contract the SQL stores
// pass against the MemoryStore, so that tests on it mean the same.
func TestMemoryStoreContract(t *testing.T) {
	storetest.RunIncidents(t, func(t *testing.T) incident.Store { return &incident.MemoryStore{} })
}
