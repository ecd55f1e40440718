//go:build linux

package uringfs_test

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"syscall"
	"testing"

	"github.com/uringfs/uring/internal/testkit"
	"github.com/uringfs/uring/uringfs"
)

// TestStatSysMatchesOS checks every field of Stat().Sys() against os's, for
// each kind of file and through each way in. The conversion from statx to
// syscall.Stat_t depends on the port's field types (int32 seconds and
// nanoseconds on 32-bit ports, a uint32 Nlink on most, a 32-bit Dev on mips,
// a legacy 32-bit inode on 386 and arm), so this is the test that tells a
// port whose struct stat is filled wrongly.
func TestStatSysMatchesOS(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, make([]byte, 12345), 0o640); err != nil {
		t.Fatal(err)
	}
	sub := filepath.Join(dir, "dir")
	if err := os.Mkdir(sub, 0o750); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link")
	if err := os.Symlink("file", link); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}

	openStat := func(name string) (fs.FileInfo, error) {
		// O_RDWR keeps a FIFO's open from waiting for a peer.
		f, err := uringfs.OpenFile(name, os.O_RDWR, 0)
		if err != nil {
			f, err = uringfs.Open(name)
		}
		if err != nil {
			return nil, err
		}
		defer f.Close()
		return f.Stat()
	}
	asyncStat := func(name string) (fs.FileInfo, error) {
		return uringfs.StatAsync(context.Background(), name).Wait()
	}
	rootStat := func(lstat bool) func(string) (fs.FileInfo, error) {
		return func(name string) (fs.FileInfo, error) {
			r, err := uringfs.OpenRoot(filepath.Dir(name))
			if err != nil {
				return nil, err
			}
			defer r.Close()
			if lstat {
				return r.Lstat(filepath.Base(name))
			}
			return r.Stat(filepath.Base(name))
		}
	}
	ways := []struct {
		name  string
		lstat bool
		stat  func(string) (fs.FileInfo, error)
	}{
		{"Stat", false, uringfs.Stat},
		{"Lstat", true, uringfs.Lstat},
		{"File.Stat", false, openStat},
		{"StatAsync", false, asyncStat},
		{"Root.Stat", false, rootStat(false)},
		{"Root.Lstat", true, rootStat(true)},
	}
	for _, name := range []string{file, sub, link, fifo, "/dev/null"} {
		for _, way := range ways {
			if way.name == "File.Stat" && name == link {
				continue // opening follows the link: the same as the file
			}
			if name == "/dev/null" && (way.name == "Root.Stat" || way.name == "Root.Lstat") {
				continue // a Root of /dev is not this test's to open
			}
			t.Run(fmt.Sprintf("%s/%s", way.name, filepath.Base(name)), func(t *testing.T) {
				osStat := os.Stat
				if way.lstat {
					osStat = os.Lstat
				}
				// The device's times can move between the two calls (another
				// process writes to /dev/null); a conversion bug shows on
				// every attempt.
				var diff string
				for attempt := 0; attempt < 3; attempt++ {
					want, err := osStat(name)
					if err != nil {
						t.Fatal(err)
					}
					got, err := way.stat(name)
					if err != nil {
						t.Fatalf("%s(%s): %v", way.name, name, err)
					}
					if diff = statSysDiff(want.Sys(), got.Sys()); diff == "" {
						return
					}
				}
				t.Errorf("%s(%s).Sys() differs from os's:%s", way.name, name, diff)
			})
		}
	}
}

// statSysDiff lists the fields of two *syscall.Stat_t that differ, padding
// included; "" when they are equal.
func statSysDiff(want, got any) string {
	w, ok1 := want.(*syscall.Stat_t)
	g, ok2 := got.(*syscall.Stat_t)
	if !ok1 || !ok2 {
		return fmt.Sprintf(" Sys() is %T, os's %T", got, want)
	}
	wc, gc := *w, *g
	testkit.OracleStat(&wc)
	testkit.OracleStat(&gc)
	var diff string
	wv, gv := reflect.ValueOf(&wc).Elem(), reflect.ValueOf(&gc).Elem()
	for i := 0; i < wv.NumField(); i++ {
		if !wv.Field(i).Equal(gv.Field(i)) {
			diff += fmt.Sprintf("\n\t%s: got %v, os %v", wv.Type().Field(i).Name, gv.Field(i), wv.Field(i))
		}
	}
	return diff
}
