package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/headroomhq/headroom"
)

// errNotAtRef says the file does not exist at the ref: a pull request that
// adds a policy has nothing to compare against.
var errNotAtRef = errors.New("not at ref")

// gitShow returns the content of path as it is at ref, in the git work tree
// that holds path, and a name for it ("origin/main:deploy/hpa.yaml") for
// messages.
func gitShow(ctx context.Context, path, ref string) (string, []byte, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", nil, err
	}
	dir := filepath.Dir(abs)
	top, err := git(ctx, dir, "rev-parse", "--show-toplevel")
	if err != nil {
		return "", nil, &headroom.Error{Code: headroom.EINVALID, Message: fmt.Sprintf("--baseline-git: %s is not in a git work tree", path), Err: err}
	}
	// Resolve symlinks on both sides: git prints the real top level.
	realTop, _ := filepath.EvalSymlinks(strings.TrimSpace(string(top)))
	realFile, _ := filepath.EvalSymlinks(abs)
	rel, err := filepath.Rel(realTop, realFile)
	if err != nil || strings.HasPrefix(rel, "..") {
		return "", nil, &headroom.Error{Code: headroom.EINVALID, Message: fmt.Sprintf("--baseline-git: %s is outside the work tree %s", path, realTop)}
	}
	rel = filepath.ToSlash(rel)
	if _, err := git(ctx, dir, "rev-parse", "--verify", "--quiet", ref+"^{commit}"); err != nil {
		return "", nil, &headroom.Error{Code: headroom.EINVALID,
			Message: fmt.Sprintf("--baseline-git %s: no such commit or branch here (in CI, fetch it first: git fetch origin main)", ref)}
	}
	name := ref + ":" + rel
	data, err := git(ctx, dir, "show", name)
	if err != nil {
		return name, nil, errNotAtRef
	}
	return name, data, nil
}

func git(ctx context.Context, dir string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, "git", args...)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("git %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return out, nil
}
