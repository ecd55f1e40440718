package uringfs_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"syscall"

	"github.com/uringfs/uring/uringfs"
)

// exampleDir makes a directory with a few small files for the examples.
func exampleDir() (string, []string) {
	dir, err := os.MkdirTemp("", "async")
	if err != nil {
		panic(err)
	}
	var names []string
	for i, s := range []string{"alpha", "beta", "gamma"} {
		name := filepath.Join(dir, fmt.Sprintf("%d.txt", i))
		os.WriteFile(name, []byte(s), 0o644)
		names = append(names, name)
	}
	return dir, names
}

// One goroutine keeps several reads of a file in flight and collects them
// afterwards; each buffer is the kernel's until its handle is done.
func ExampleFile_ReadAtAsync() {
	dir, names := exampleDir()
	defer os.RemoveAll(dir)
	f, err := uringfs.Open(names[1]) // "beta"
	if err != nil {
		fmt.Println(err)
		return
	}
	defer f.Close()

	ctx := context.Background()
	bufs := [][]byte{make([]byte, 2), make([]byte, 2), make([]byte, 8)}
	var reads []*uringfs.Pending[int]
	for i, b := range bufs {
		reads = append(reads, f.ReadAtAsync(ctx, b, int64(2*i)))
	}
	for i, r := range reads {
		n, err := r.Wait()
		fmt.Printf("%q %v\n", bufs[i][:n], err)
	}
	// Output:
	// "be" <nil>
	// "ta" <nil>
	// "" EOF
}

// WriteAtAsync starts a write; Wait reports what WriteAt would.
func ExampleFile_WriteAtAsync() {
	dir, names := exampleDir()
	defer os.RemoveAll(dir)
	f, err := uringfs.OpenFile(names[0], os.O_RDWR, 0)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer f.Close()

	w := f.WriteAtAsync(context.Background(), []byte("ALPHA"), 0)
	n, err := w.Wait()
	fmt.Println(n, err)
	data, _ := os.ReadFile(names[0])
	fmt.Println(string(data))
	// Output:
	// 5 <nil>
	// ALPHA
}

// OpenFileAsync composes with select: here it races a context deadline.
func ExampleOpenFileAsync() {
	dir, names := exampleDir()
	defer os.RemoveAll(dir)

	ctx := context.Background()
	open := uringfs.OpenFileAsync(ctx, names[2], os.O_RDONLY, 0)
	missing := uringfs.OpenFileAsync(ctx, filepath.Join(dir, "missing"), os.O_RDONLY, 0)
	select {
	case <-open.Done():
	case <-ctx.Done():
	}
	f, err := open.Wait()
	fmt.Println(filepath.Base(f.Name()), err)
	f.Close()
	_, err = missing.Wait()
	fmt.Println(os.IsNotExist(err))
	// Output:
	// 2.txt <nil>
	// true
}

// StatAsync starts a stat; many can be in flight at once.
func ExampleStatAsync() {
	dir, names := exampleDir()
	defer os.RemoveAll(dir)

	var stats []*uringfs.Pending[os.FileInfo]
	for _, name := range names {
		stats = append(stats, uringfs.StatAsync(context.Background(), name))
	}
	for _, s := range stats {
		fi, err := s.Wait()
		fmt.Println(fi.Name(), fi.Size(), err)
	}
	// Output:
	// 0.txt 5 <nil>
	// 1.txt 4 <nil>
	// 2.txt 5 <nil>
}

// ReadFileAsync reads a whole file: open, reads and close follow one
// another without a goroutine.
func ExampleReadFileAsync() {
	dir, names := exampleDir()
	defer os.RemoveAll(dir)

	r := uringfs.ReadFileAsync(context.Background(), names[2])
	data, err := r.Wait()
	fmt.Printf("%s %v\n", data, err)
	// Output:
	// gamma <nil>
}

// Cancel stops an operation that has not completed yet; Wait still returns
// only after the kernel let go of it.
func ExamplePending_Cancel() {
	dir, names := exampleDir()
	defer os.RemoveAll(dir)

	r := uringfs.ReadFileAsync(context.Background(), names[0])
	r.Cancel()
	data, err := r.Wait()
	// Whether the cancel came in time is a race: either way the result is
	// whole or the error says it was cancelled.
	fmt.Println(string(data) == "alpha" || err != nil)
	// Output:
	// true
}

// A batch: a write made durable by a linked fsync, and two stats, all
// submitted with one io_uring_enter; WaitAny hands them back as they
// complete.
func ExampleBatch() {
	dir, names := exampleDir()
	defer os.RemoveAll(dir)
	f, err := uringfs.Create(filepath.Join(dir, "journal"))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer f.Close()

	b := uringfs.NewBatch()
	c := b.Chain() // the fsync starts only once the write has succeeded
	w := c.WriteAt(f, []byte("entry 1\n"), 0)
	s := c.Sync(f)
	st0 := b.Stat(names[0])
	st1 := b.Stat(names[1])
	if err := b.Submit(context.Background()); err != nil {
		fmt.Println(err)
		return
	}
	var done []string
	for h := b.WaitAny(); h != nil; h = b.WaitAny() {
		switch h {
		case w:
			done = append(done, "write")
		case s:
			done = append(done, "sync")
		case st0, st1:
			done = append(done, "stat")
		}
	}
	slices.Sort(done) // completion order varies
	fmt.Println(done, b.Wait())
	// Output:
	// [stat stat sync write] <nil>
}

// Batch.Chain: if a link fails, the rest of its chain is not run.
func ExampleBatch_Chain() {
	dir, names := exampleDir()
	defer os.RemoveAll(dir)
	ro, err := uringfs.Open(names[0])
	if err != nil {
		fmt.Println(err)
		return
	}
	defer ro.Close()

	b := uringfs.NewBatch()
	c := b.Chain()
	w := c.WriteAt(ro, []byte("x"), 0) // fails: opened read-only
	s := c.Sync(ro)
	b.Submit(context.Background())
	b.Wait()
	fmt.Println(w.Err() != nil, s.Err() != nil)
	// Output:
	// true true
}

// A chain opens a file for its own later steps: open, read and close go to
// the kernel together, and a step that fails cancels the rest.
func ExampleBatch_OpenLinked() {
	dir, names := exampleDir()
	defer os.RemoveAll(dir)

	b := uringfs.NewBatch()
	heads := make([][]byte, 2)
	var reads []*uringfs.Pending[int]
	for i, name := range []string{names[1], filepath.Join(dir, "missing")} {
		heads[i] = make([]byte, 3)
		f := b.Chain().OpenLinked(name, os.O_RDONLY, 0)
		reads = append(reads, f.ReadAt(heads[i], 0))
		f.Close()
	}
	if err := b.Submit(context.Background()); err != nil {
		fmt.Println(err)
		return
	}
	b.Wait()
	for i, r := range reads {
		if _, err := r.Wait(); err != nil {
			fmt.Println("not read:", errors.Is(err, syscall.ECANCELED))
			continue
		}
		fmt.Printf("%s\n", heads[i])
	}
	// Output:
	// bet
	// not read: true
}

// ReadFiles reads many files with one goroutine; results come as files
// complete, so sort them for display.
func ExampleReadFiles() {
	dir, names := exampleDir()
	defer os.RemoveAll(dir)
	names = append(names, filepath.Join(dir, "missing"))

	var lines []string
	for file, err := range uringfs.ReadFiles(context.Background(), names) {
		if err != nil {
			lines = append(lines, fmt.Sprintf("%d: not read", file.Index))
			continue
		}
		lines = append(lines, fmt.Sprintf("%d: %s", file.Index, file.Data))
	}
	slices.Sort(lines)
	for _, l := range lines {
		fmt.Println(l)
	}
	// Output:
	// 0: alpha
	// 1: beta
	// 2: gamma
	// 3: not read
}
