package sim

import "github.com/headroomhq/headroom"

// launch is a group of instances that become ready together.
type launch struct {
	readyAt int // second of the run
	count   int
}

// Fleet is the simulated platform's capacity: ready instances and launches
// in flight, on a clock of whole seconds. The simulator runs one; so does
// sim/world, behind the live controller's Actuator.
type Fleet struct {
	Ready     int
	launching int      // sum of launches' counts
	launches  []launch // in readyAt order
}

// Capacity returns the fleet's ready and launching instances.
func (f *Fleet) Capacity() headroom.Capacity {
	return headroom.Capacity{Ready: f.Ready, Launching: f.launching}
}

// Tick makes the launches due at second sec ready.
func (f *Fleet) Tick(sec int) {
	i := 0
	for i < len(f.launches) && f.launches[i].readyAt <= sec {
		f.Ready += f.launches[i].count
		f.launching -= f.launches[i].count
		i++
	}
	if i > 0 {
		f.launches = f.launches[i:]
	}
}

// nextReady returns the second the next launch becomes ready, if any.
func (f *Fleet) nextReady() (int, bool) {
	if len(f.launches) == 0 {
		return 0, false
	}
	return f.launches[0].readyAt, true
}

// Scale moves the fleet to desired instances at second sec: a scale-out
// launches new ones, ready startup seconds later; a scale-in removes at
// once, launches not ready yet first (newest first), as Kubernetes deletes
// unready pods before ready ones.
func (f *Fleet) Scale(desired, sec, startup int) {
	cur := f.Ready + f.launching
	switch {
	case desired > cur:
		f.launches = append(f.launches, launch{readyAt: sec + startup, count: desired - cur})
		f.launching += desired - cur
	case desired < cur:
		cut := cur - desired
		for cut > 0 && len(f.launches) > 0 {
			last := &f.launches[len(f.launches)-1]
			n := min(cut, last.count)
			last.count -= n
			f.launching -= n
			cut -= n
			if last.count == 0 {
				f.launches = f.launches[:len(f.launches)-1]
			}
		}
		f.Ready -= cut
	}
}
