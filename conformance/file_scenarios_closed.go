package conformance

// File scenarios on files that cannot be used: every method after Close,
// and on the implementation's nil *File.

import (
	"bytes"
	"io"
	"os"
	"strings"
	"time"
)

// fileCalls records one call of each read, write and metadata method of f,
// with arguments that would succeed on an open regular file, so that
// after-close and nil-file compare how every one of them fails.
func fileCalls(r *recorder, f File) {
	read(r, "Read", f, 4)
	read(r, "Read(nil)", f, -1)
	readAt(r, "ReadAt", f, 4, 0)
	readAt(r, "ReadAt negative", f, 4, -1)
	n, err := f.Write([]byte("x"))
	r.rec("Write", n, err)
	n, err = f.WriteAt([]byte("x"), 0)
	r.rec("WriteAt", n, err)
	n, err = f.WriteString("x")
	r.rec("WriteString", n, err)
	seek(r, "Seek", f, 0, io.SeekStart)
	stat(r, "Stat", f)
	r.rec("Sync", f.Sync())
	r.rec("Truncate", f.Truncate(0))
	r.rec("Chmod", f.Chmod(0o600))
	n64, err := f.ReadFrom(strings.NewReader("x"))
	r.rec("ReadFrom", n64, err)
	var buf bytes.Buffer
	n64, err = f.WriteTo(&buf)
	r.rec("WriteTo", n64, err)
}

var closedScenarios = []scenario[FileSystem]{
	{"after-close", func(r *recorder, x FileSystem) {
		fixture(r, "f", "content")
		fixtureDir(r, "d")
		f := openFile(r, x, "f", os.O_RDWR, 0)
		d := open(r, x, "d")
		r.rec("Close", f.Close())
		r.rec("Close again", f.Close())
		r.rec("Close dir", d.Close())
		r.rec("Close dir again", d.Close())
		r.rec("Name", f.Name())
		r.rec("Fd", f.Fd())
		fileCalls(r, f)
		r.rec("SetDeadline", f.SetDeadline(time.Now().Add(time.Hour)))
		r.rec("SetReadDeadline", f.SetReadDeadline(time.Time{}))
		r.rec("SetWriteDeadline", f.SetWriteDeadline(time.Time{}))
		list, err := d.ReadDir(-1)
		r.rec("ReadDir(-1)", list, err)
		list, err = d.ReadDir(1)
		r.rec("ReadDir(1)", list, err)
		infos, err := d.Readdir(-1)
		r.rec("Readdir", infos, err)
		names, err := d.Readdirnames(-1)
		r.rec("Readdirnames", names, err)
		seek(r, "Seek dir", d, 0, io.SeekStart)
		r.rec("Name dir", d.Name())
		r.rec("Fd dir", d.Fd())
		b, err := os.ReadFile(pth(r, "f"))
		r.rec("content unchanged", b, err)
	}},
	{"nil-file", func(r *recorder, x FileSystem) {
		f := x.NilFile
		if f == nil {
			r.skip("FileSystem.NilFile is nil")
		}
		fileCalls(r, f)
		list, err := f.ReadDir(-1)
		r.rec("ReadDir", list, err)
		infos, err := f.Readdir(-1)
		r.rec("Readdir", infos, err)
		names, err := f.Readdirnames(-1)
		r.rec("Readdirnames", names, err)
		r.rec("SetDeadline", f.SetDeadline(time.Time{}))
		r.rec("SetReadDeadline", f.SetReadDeadline(time.Time{}))
		r.rec("SetWriteDeadline", f.SetWriteDeadline(time.Time{}))
		r.rec("Fd", f.Fd())
		r.rec("Close", f.Close())
	}},
}
