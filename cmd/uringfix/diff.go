package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// unifiedDiff returns the changes from old to new as a unified diff, by
// diff -u when it is installed and by lineDiff otherwise.
func unifiedDiff(name string, old, new []byte) ([]byte, error) {
	if _, err := exec.LookPath("diff"); err != nil {
		return lineDiff(name, old, new), nil
	}
	tmp, err := os.MkdirTemp("", "uringfix")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	a, b := filepath.Join(tmp, "a"), filepath.Join(tmp, "b")
	if err := os.WriteFile(a, old, 0o600); err != nil {
		return nil, err
	}
	if err := os.WriteFile(b, new, 0o600); err != nil {
		return nil, err
	}
	out, err := exec.Command("diff", "-u", "--label", "a/"+name, "--label", "b/"+name, a, b).Output()
	var ee *exec.ExitError
	if errors.As(err, &ee) && ee.ExitCode() == 1 {
		err = nil // diff exits 1 when the files differ
	}
	return out, err
}

// lineDiff is a minimal unified-style diff (one hunk, whole files) for
// systems without diff: common lines are kept, others marked - and +.
func lineDiff(name string, old, new []byte) []byte {
	a := splitLines(old)
	b := splitLines(new)
	// Longest common subsequence on lines.
	lcs := make([][]int, len(a)+1)
	for i := range lcs {
		lcs[i] = make([]int, len(b)+1)
	}
	for i := len(a) - 1; i >= 0; i-- {
		for j := len(b) - 1; j >= 0; j-- {
			if a[i] == b[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	var buf bytes.Buffer
	fmt.Fprintf(&buf, "--- a/%s\n+++ b/%s\n@@ -1,%d +1,%d @@\n", name, name, len(a), len(b))
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		switch {
		case i < len(a) && j < len(b) && a[i] == b[j]:
			buf.WriteString(" " + a[i])
			i, j = i+1, j+1
		case i < len(a) && (j == len(b) || lcs[i+1][j] >= lcs[i][j+1]):
			buf.WriteString("-" + a[i])
			i++
		default:
			buf.WriteString("+" + b[j])
			j++
		}
	}
	return buf.Bytes()
}

func splitLines(b []byte) []string {
	lines := strings.SplitAfter(string(b), "\n")
	if len(lines) > 0 && lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	return lines
}
