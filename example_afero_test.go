package uring_test

import (
	"fmt"
	"log"
	"os"

	"github.com/spf13/afero"

	"github.com/uringfs/uring"
)

// Confine the io_uring-backed Fs to one directory: names are then rooted at
// "/" and resolved below dir.
func ExampleNewFs_basePath() {
	dir, err := os.MkdirTemp("", "uring-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	fsys := afero.NewBasePathFs(uring.NewFs(), dir)
	if err := fsys.MkdirAll("/config", 0o755); err != nil {
		log.Fatal(err)
	}
	if err := afero.WriteFile(fsys, "/config/app.toml", []byte("level = 3\n"), 0o644); err != nil {
		log.Fatal(err)
	}
	data, err := afero.ReadFile(fsys, "/config/app.toml")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s", data)

	// The file is really there, below dir.
	if fi, err := os.Stat(dir + "/config/app.toml"); err == nil {
		fmt.Println(fi.Size())
	}

	_, err = fsys.Open("/config/missing.toml")
	fmt.Println(os.IsNotExist(err))
	// Output:
	// level = 3
	// 10
	// true
}

// Layer writable memory over a read-only directory served through io_uring:
// reads come from disk, writes land in memory and the directory is never
// modified.
func ExampleNewFs_copyOnWrite() {
	dir, err := os.MkdirTemp("", "uring-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	if err := os.WriteFile(dir+"/greeting", []byte("hello from disk\n"), 0o644); err != nil {
		log.Fatal(err)
	}

	base := afero.NewReadOnlyFs(afero.NewBasePathFs(uring.NewFs(), dir))
	overlay := afero.NewMemMapFs()
	fsys := afero.NewCopyOnWriteFs(base, overlay)

	data, _ := afero.ReadFile(fsys, "/greeting")
	fmt.Printf("read: %s", data)

	// Writing copies the file up into the overlay first.
	f, err := fsys.OpenFile("/greeting", os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Fprintln(f, "and from memory")
	f.Close()

	data, _ = afero.ReadFile(fsys, "/greeting")
	fmt.Printf("merged: %s", data)
	onDisk, _ := os.ReadFile(dir + "/greeting")
	fmt.Printf("disk: %s", onDisk)

	// A name in neither is missing: CopyOnWriteFs recognises the base's
	// *fs.PathError holding syscall.ENOENT and reports not-exist.
	_, err = fsys.Stat("/absent")
	fmt.Println(os.IsNotExist(err))
	// Output:
	// read: hello from disk
	// merged: hello from disk
	// and from memory
	// disk: hello from disk
	// true
}

// Use the Fs wherever an afero.Fs is accepted.
func ExampleNewFs() {
	var fsys afero.Fs = uring.NewFs()
	dir, err := afero.TempDir(fsys, "", "uring-example")
	if err != nil {
		log.Fatal(err)
	}
	defer fsys.RemoveAll(dir)

	for _, name := range []string{"b.txt", "a.txt", "c.log"} {
		if err := afero.WriteFile(fsys, dir+"/"+name, []byte(name), 0o644); err != nil {
			log.Fatal(err)
		}
	}
	matches, _ := afero.Glob(fsys, dir+"/*.txt")
	for _, m := range matches {
		fmt.Println(m[len(dir)+1:])
	}
	fmt.Println(fsys.Name())
	// Output:
	// a.txt
	// b.txt
	// UringFs
}
