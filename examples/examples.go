// Package examples embeds the shipped example, so `headroom demo` runs from
// the binary alone, with no file to fetch.
package examples

import "embed"

// Bitbucket is examples/bitbucket-2021-06-30: the seed incident's service,
// the policy in production, the change that caused it, and a day of traffic.
//
//go:embed bitbucket-2021-06-30/service.yaml bitbucket-2021-06-30/baseline.yaml bitbucket-2021-06-30/proposed.yaml bitbucket-2021-06-30/traffic.csv
var Bitbucket embed.FS

// BitbucketDir is the directory of Bitbucket's files inside the FS.
const BitbucketDir = "bitbucket-2021-06-30"
