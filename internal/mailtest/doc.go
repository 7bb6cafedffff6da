// Package mailtest runs a real SMTP server for tests: mailpit
// (github.com/axllent/mailpit, built from the Go module proxy by
// hack/build-mailpit.sh), on free loopback ports, with its HTTP API to read
// what it received.
//
// The binary is HEADROOM_MAILPIT or the one hack/build-mailpit.sh left in
// its cache. When there is none the test is skipped with a message saying
// how to build it, or fails under CI=true (.ci/setup.d/mailpit.sh builds
// it first).
package mailtest
