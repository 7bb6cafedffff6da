// Package shards measures sharded serve replicas: 100,000 in-process
// targets shared by 4 replica processes through one real PostgreSQL
// (their shard leases, every decision and engine state written, fenced by
// its shard's lease). It reports each replica's CPU, the loop's wall time
// and the p99 of one target's iteration, PostgreSQL's CPU, and how long the
// others take to lease a kill -9'd replica's shards:
//
//	go test ./bench/shards -run XXX -bench Shards -benchtime 1x -timeout 20m
//
// The figures and the arithmetic for a million targets are in
// bench/README.md. The replicas are the test binary re-executed, as
// cmd/headroom's process tests run serve.
package shards
