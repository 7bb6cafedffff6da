package main

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"
)

// version overrides the module version the build info holds, for a build
// that wants to say something else: -ldflags "-X main.version=v0.1.0".
// Left empty, the build info says (a tag or pseudo-version with `go
// install ...@v0.1.0` or a build in a git checkout).
var version = ""

func newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version of headroom and the commit it was built from",
		Long: `version prints the module version and the VCS revision headroom was built from,
as the Go toolchain recorded them in the binary (runtime/debug.ReadBuildInfo):

  headroom v0.3.1 (revision 3d68e7f0c2a1, 2026-12-07T00:53:23Z) go1.26.8 linux/amd64

A build from a git checkout records the commit (and "modified" when the tree
had changes); GOFLAGS=-buildvcs=false, or a copy of the sources without .git
(a container build), records none: the Makefile and the Dockerfile pass the
commit in then.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			info, ok := debug.ReadBuildInfo()
			if !ok {
				info = nil
			}
			fmt.Fprintln(cmd.OutOrStdout(), versionLine(info, version, revision))
			return nil
		},
	}
}

// revision is the commit, set at build time when the build info has none
// (-ldflags "-X main.revision=$(git rev-parse HEAD)").
var revision = ""

// versionLine says which headroom this is from its build info (nil when the
// binary has none) and the values set at link time, which win.
func versionLine(info *debug.BuildInfo, setVersion, setRevision string) string {
	v, rev, when, modified := setVersion, setRevision, "", false
	if info != nil {
		if v == "" && info.Main.Version != "" {
			v = info.Main.Version
		}
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				if rev == "" {
					rev = s.Value
				}
			case "vcs.time":
				when = s.Value
			case "vcs.modified":
				modified = s.Value == "true" && setRevision == ""
			}
		}
	}
	if v == "" {
		v = "(devel)"
	}
	var about []string
	switch {
	case rev != "":
		if len(rev) > 12 {
			rev = rev[:12]
		}
		about = append(about, "revision "+rev)
		if when != "" {
			about = append(about, when)
		}
		if modified {
			about = append(about, "modified")
		}
	default:
		about = append(about, "revision unknown: built without VCS information")
	}
	return fmt.Sprintf("headroom %s (%s) %s %s/%s", v, strings.Join(about, ", "), runtime.Version(), runtime.GOOS, runtime.GOARCH)
}
