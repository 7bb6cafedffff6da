// Module live is the quickstart's stand-in service (./demand). It is a
// module of its own, standard library only, so that the main module's
// packages and their dependency rules do not include an example program.
module github.com/headroomhq/headroom/examples/live

go 1.26
