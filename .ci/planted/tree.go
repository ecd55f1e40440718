// Copies of the tree: the pristine snapshot of the repository (its tracked
// files, or a commit's tree) and the fresh copy each bug is planted into.
// Copying keeps the planted copies away from the checkout others work in.

package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

func gitOutput(dir string, args ...string) (string, error) {
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("git %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return string(out), nil
}

// snapshot copies the tracked files of repo (or the tree of rev) to dst.
func snapshot(repo, rev, dst string) error {
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return err
	}
	if rev != "" {
		archive := exec.Command("git", "-C", repo, "archive", "--format=tar", rev)
		untar := exec.Command("tar", "-x", "-C", dst)
		pipe, err := archive.StdoutPipe()
		if err != nil {
			return err
		}
		untar.Stdin = pipe
		var aerr, terr bytes.Buffer
		archive.Stderr, untar.Stderr = &aerr, &terr
		if err := archive.Start(); err != nil {
			return err
		}
		if err := untar.Run(); err != nil {
			archive.Wait()
			return fmt.Errorf("tar: %v: %s", err, terr.String())
		}
		if err := archive.Wait(); err != nil {
			return fmt.Errorf("git archive %s: %v: %s", rev, err, aerr.String())
		}
		return nil
	}
	out, err := gitOutput(repo, "ls-files", "-z", "--cached")
	if err != nil {
		return err
	}
	for _, name := range strings.Split(out, "\x00") {
		if name == "" {
			continue
		}
		src, to := filepath.Join(repo, name), filepath.Join(dst, name)
		fi, err := os.Lstat(src)
		if errors.Is(err, fs.ErrNotExist) {
			continue // deleted in the working tree: the copy has it deleted too
		}
		if err != nil {
			return err
		}
		if fi.IsDir() {
			continue // a submodule
		}
		if err := copyEntry(src, to, fi); err != nil {
			return err
		}
	}
	return nil
}

// copyTree copies the tree at src to dst.
func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		to := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(to, 0o755)
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		return copyEntry(p, to, fi)
	})
}

func copyEntry(src, dst string, fi fs.FileInfo) error {
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	if fi.Mode()&fs.ModeSymlink != 0 {
		target, err := os.Readlink(src)
		if err != nil {
			return err
		}
		return os.Symlink(target, dst)
	}
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, fi.Mode().Perm())
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

func modulePath(dir string) string {
	data, err := os.ReadFile(filepath.Join(dir, "go.mod"))
	if err != nil {
		return ""
	}
	for _, ln := range strings.Split(string(data), "\n") {
		if m, ok := strings.CutPrefix(strings.TrimSpace(ln), "module "); ok {
			return strings.Trim(strings.TrimSpace(m), `"`)
		}
	}
	return ""
}
