//go:build !unix

package loadtest

import "time"

// cpuTime is unknown off Unix: the experiment reports 0.
func cpuTime() time.Duration { return 0 }
