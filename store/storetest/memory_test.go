package storetest_test

import (
	"testing"

	"github.com/headroomhq/headroom"
	"github.com/headroomhq/headroom/controller"
	"github.com/headroomhq/headroom/store/storetest"
)

// TestMemoryJournal runs the contract against controller.MemoryJournal.
func TestMemoryJournal(t *testing.T) {
	storetest.RunJournal(t, func(t *testing.T) headroom.Journal {
		return &controller.MemoryJournal{}
	})
}
