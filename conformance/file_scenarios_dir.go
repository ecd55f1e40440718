package conformance

// File scenarios on open directories: ReadDir, Readdir and Readdirnames
// paging, restarting with Seek, and the same calls on a regular file.

import (
	"fmt"
	"io"
	"io/fs"
	"os"
)

// readDirAll pages through f with ReadDir(n) until an error and records
// each page's size and error and then the union of the pages as a set:
// directory order is the file system's and need not match between runs.
func readDirAll(r *recorder, label string, f File, n int) {
	var all []fs.DirEntry
	for i := 0; i < 100; i++ {
		list, err := f.ReadDir(n)
		r.rec(fmt.Sprintf("%s ReadDir(%d) page %d", label, n, i), nilness(list), err)
		all = append(all, list...)
		if err != nil || len(list) == 0 {
			break
		}
	}
	r.rec(label+" entries", all)
}

var dirScenarios = []scenario[FileSystem]{
	{"open-directory", func(r *recorder, x FileSystem) {
		fixtureDir(r, "d")
		fixture(r, "d/a", "a")
		d := open(r, x, "d")
		read(r, "Read on directory", d, 8)
		n, err := d.Write([]byte("x"))
		r.rec("Write on directory", n, err)
		stat(r, "Stat", d)
		r.rec("Name", d.Name())
		r.rec("Sync", d.Sync())
		readDirAll(r, "after Read", d, -1)
		seek(r, "Seek(0, 0)", d, 0, io.SeekStart)
		seek(r, "Seek(0, 1)", d, 0, io.SeekCurrent)
		r.rec("Close", d.Close())
	}},
	{"readdir-paging", func(r *recorder, x FileSystem) {
		fixtureDir(r, "d/sub")
		for _, name := range []string{"a", "b", "c", "d e", "ünï"} {
			fixture(r, "d/"+name, name)
		}
		r.rec("Symlink fixture", os.Symlink("a", pth(r, "d/link")))
		d := open(r, x, "d")
		readDirAll(r, "paged", d, 2)
		list, err := d.ReadDir(-1)
		r.rec("ReadDir(-1) at end", list, err)
		list, err = d.ReadDir(1)
		r.rec("ReadDir(1) at end", list, err)
		r.rec("Close", d.Close())

		d = open(r, x, "d")
		infos, err := d.Readdir(4)
		r.rec("Readdir(4)", len(infos), err)
		rest, err := d.Readdir(0)
		r.rec("Readdir(0) rest", len(rest), err)
		r.rec("Readdir union", append(infos, rest...))
		infos, err = d.Readdir(3)
		r.rec("Readdir(3) at end", infos, err)
		r.rec("Close", d.Close())

		d = open(r, x, "d")
		names, err := d.Readdirnames(3)
		r.rec("Readdirnames(3)", len(names), err)
		more, err := d.Readdirnames(-1)
		r.rec("Readdirnames(-1) rest", len(more), err)
		r.rec("Readdirnames union", append(names, more...))
		names, err = d.Readdirnames(1)
		r.rec("Readdirnames(1) at end", names, err)
		names, err = d.Readdirnames(-1)
		r.rec("Readdirnames(-1) at end", names, err)
	}},
	{"readdir-empty", func(r *recorder, x FileSystem) {
		fixtureDir(r, "e")
		d := open(r, x, "e")
		list, err := d.ReadDir(-1)
		r.rec("ReadDir(-1)", list, err)
		list, err = d.ReadDir(0)
		r.rec("ReadDir(0)", list, err)
		list, err = d.ReadDir(1)
		r.rec("ReadDir(1)", list, err)
		infos, err := d.Readdir(-1)
		r.rec("Readdir(-1)", infos, err)
		infos, err = d.Readdir(1)
		r.rec("Readdir(1)", infos, err)
		names, err := d.Readdirnames(0)
		r.rec("Readdirnames(0)", names, err)
		names, err = d.Readdirnames(5)
		r.rec("Readdirnames(5)", names, err)
	}},
	{"readdir-restart", func(r *recorder, x FileSystem) {
		fixtureDir(r, "d")
		for _, name := range []string{"1", "2", "3", "4"} {
			fixture(r, "d/"+name, name)
		}
		d := open(r, x, "d")
		list, err := d.ReadDir(3)
		r.rec("ReadDir(3)", len(list), err)
		seek(r, "Seek past start after ReadDir", d, 1, io.SeekStart)
		seek(r, "Seek(0, 0)", d, 0, io.SeekStart)
		list, err = d.ReadDir(-1)
		r.rec("ReadDir(-1) after Seek(0, 0)", list, err)
		seek(r, "Seek(0, 0) again", d, 0, io.SeekStart)
		infos, err := d.Readdir(-1)
		r.rec("Readdir(-1) after Seek(0, 0)", infos, err)
		seek(r, "Seek(0, 0) third", d, 0, io.SeekStart)
		names, err := d.Readdirnames(-1)
		r.rec("Readdirnames(-1) after Seek(0, 0)", names, err)
	}},
	{"readdir-not-dir", func(r *recorder, x FileSystem) {
		fixture(r, "f", "data")
		f := open(r, x, "f")
		list, err := f.ReadDir(-1)
		r.rec("ReadDir(-1)", list, err)
		list, err = f.ReadDir(2)
		r.rec("ReadDir(2)", list, err)
		infos, err := f.Readdir(-1)
		r.rec("Readdir(-1)", infos, err)
		names, err := f.Readdirnames(1)
		r.rec("Readdirnames(1)", names, err)
		read(r, "Read after ReadDir", f, 10)
	}},
}
