package main

import (
	"bytes"
	"os"
	"testing"
)

// TestGeneratedFileUpToDate fails when queueing/temme_coef.go was edited by
// hand or the generator changed without re-running go generate.
func TestGeneratedFileUpToDate(t *testing.T) {
	want, err := generate(false)
	if err != nil {
		t.Fatalf("generate: %v", err)
	}
	got, err := os.ReadFile("../../temme_coef.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("temme_coef.go is stale; run go generate in queueing")
	}
}
