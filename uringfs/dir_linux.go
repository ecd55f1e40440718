package uringfs

import (
	"encoding/binary"
	"errors"
	"io"
	"io/fs"
	"sync"

	"golang.org/x/sys/unix"
)

// dirInfo is the getdents64 state of a File read as a directory.
type dirInfo struct {
	mu   sync.Mutex
	buf  *[]byte
	nbuf int // bytes of buf filled by the last getdents64
	bufp int // next record
}

// direntBufSize is one getdents64 call's buffer; large enough for a typical
// directory's worth of names per syscall.
const direntBufSize = 8192

var direntBufPool = sync.Pool{New: func() any { b := make([]byte, direntBufSize); return &b }}

// close returns the buffer to the pool. It takes the lock because Seek and
// Close may drop the state while another goroutine is reading the directory.
func (d *dirInfo) close() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.buf != nil {
		direntBufPool.Put(d.buf)
		d.buf = nil
	}
}

type readdirMode int

const (
	readdirNames readdirMode = iota
	readdirEntries
	readdirInfos
)

// Layout of struct linux_dirent64: d_ino u64, d_off s64, d_reclen u16,
// d_type u8, d_name.
const (
	direntReclenOff = 16
	direntTypeOff   = 18
	direntNameOff   = 19
)

// ReadDir reads up to n entries in directory order, like os.File.ReadDir:
// with n > 0 an empty result comes with an error (io.EOF at the end); with
// n <= 0 it returns everything left and a nil error. The slice is never nil.
func (f *File) ReadDir(n int) ([]fs.DirEntry, error) {
	if err := f.checkValid(); err != nil {
		return nil, err
	}
	_, entries, _, err := f.readdir(n, readdirEntries)
	if entries == nil {
		entries = []fs.DirEntry{}
	}
	return entries, err
}

// Readdir is ReadDir returning FileInfo (an lstat per entry), like
// os.File.Readdir.
func (f *File) Readdir(n int) ([]fs.FileInfo, error) {
	if err := f.checkValid(); err != nil {
		return nil, err
	}
	_, _, infos, err := f.readdir(n, readdirInfos)
	if infos == nil {
		infos = []fs.FileInfo{}
	}
	return infos, err
}

// Readdirnames is ReadDir returning names only, like os.File.Readdirnames.
func (f *File) Readdirnames(n int) ([]string, error) {
	if err := f.checkValid(); err != nil {
		return nil, err
	}
	names, _, _, err := f.readdir(n, readdirNames)
	if names == nil {
		names = []string{}
	}
	return names, err
}

func (f *File) readdir(n int, mode readdirMode) (names []string, entries []fs.DirEntry, infos []fs.FileInfo, err error) {
	if err := f.acquire(); err != nil {
		// os builds this error itself rather than through wrapErr, so on a
		// closed file it holds internal/poll's closing error, not
		// os.ErrClosed; ours holds the same value.
		return nil, nil, nil, &fs.PathError{Op: "readdirent", Path: f.name, Err: err}
	}
	defer f.release()
	var d *dirInfo
	for d = f.dirinfo.Load(); d == nil; d = f.dirinfo.Load() {
		if nd := new(dirInfo); f.dirinfo.CompareAndSwap(nil, nd) {
			d = nd
			break
		}
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.buf == nil {
		d.buf = direntBufPool.Get().(*[]byte)
	}
	// From here on, negative n means "until the end" and positive counts
	// down to zero.
	if n == 0 {
		n = -1
	}
	for n != 0 {
		if d.bufp >= d.nbuf {
			d.bufp = 0
			var e error
			for {
				d.nbuf, e = unix.Getdents(f.fd, *d.buf)
				if e != unix.EINTR {
					break
				}
			}
			if e != nil {
				d.nbuf = 0
				return names, entries, infos, &fs.PathError{Op: "readdirent", Path: f.name, Err: e}
			}
			if d.nbuf <= 0 {
				direntBufPool.Put(d.buf)
				d.buf = nil
				break
			}
		}
		rec := (*d.buf)[d.bufp:d.nbuf]
		if len(rec) < direntNameOff {
			break
		}
		reclen := int(binary.NativeEndian.Uint16(rec[direntReclenOff:]))
		if reclen < direntNameOff || reclen > len(rec) {
			break
		}
		d.bufp += reclen
		rec = rec[:reclen]
		typ := rec[direntTypeOff]
		nameb := rec[direntNameOff:]
		for i, c := range nameb {
			if c == 0 {
				nameb = nameb[:i]
				break
			}
		}
		if string(nameb) == "." || string(nameb) == ".." {
			continue
		}
		name := string(nameb)
		if n > 0 {
			n--
		}
		switch mode {
		case readdirNames:
			names = append(names, name)
		case readdirEntries:
			de, err := f.newDirent(name, direntMode(typ))
			if errors.Is(err, fs.ErrNotExist) {
				continue // removed between getdents and lstat
			}
			if err != nil {
				return nil, entries, nil, err
			}
			entries = append(entries, de)
		case readdirInfos:
			fi, err := f.lstatat(name)
			if errors.Is(err, fs.ErrNotExist) {
				continue
			}
			if err != nil {
				return nil, nil, infos, err
			}
			infos = append(infos, fi)
		}
	}
	if n > 0 && len(names)+len(entries)+len(infos) == 0 {
		return nil, nil, nil, io.EOF
	}
	return names, entries, infos, nil
}

// unknownType marks a d_type of DT_UNKNOWN: the entry needs an lstat.
const unknownType = ^fs.FileMode(0)

func direntMode(t uint8) fs.FileMode {
	switch t {
	case unix.DT_BLK:
		return fs.ModeDevice
	case unix.DT_CHR:
		return fs.ModeDevice | fs.ModeCharDevice
	case unix.DT_DIR:
		return fs.ModeDir
	case unix.DT_FIFO:
		return fs.ModeNamedPipe
	case unix.DT_LNK:
		return fs.ModeSymlink
	case unix.DT_REG:
		return 0
	case unix.DT_SOCK:
		return fs.ModeSocket
	}
	return unknownType
}

// lstatat stats name inside the directory f without following a final
// symlink; errors name the directory, as os's do.
func (f *File) lstatat(name string) (fs.FileInfo, error) {
	var st unix.Statx_t
	err := ignoringEINTR(func() error {
		l, err := f.opLoop()
		if err != nil {
			return err
		}
		return l.Statx(background, f.fd, name, unix.AT_SYMLINK_NOFOLLOW, statxMask, &st)
	})
	if err != nil {
		return nil, f.wrapErr("fstatat", err)
	}
	return newFileInfo(name, &st), nil
}

// dirent is an fs.DirEntry from File.ReadDir.
type dirent struct {
	parent string
	name   string
	typ    fs.FileMode
	info   fs.FileInfo
}

func (d *dirent) Name() string      { return d.name }
func (d *dirent) IsDir() bool       { return d.typ.IsDir() }
func (d *dirent) Type() fs.FileMode { return d.typ }
func (d *dirent) String() string    { return fs.FormatDirEntry(d) }

// Info stats the entry now, as os's DirEntry does, unless the type was
// unknown or the directory was opened in a Root (then it was statted while
// reading, relative to the directory, so no path is resolved again).
func (d *dirent) Info() (fs.FileInfo, error) {
	if d.info != nil {
		return d.info, nil
	}
	return Lstat(d.parent + "/" + d.name)
}

func (f *File) newDirent(name string, typ fs.FileMode) (fs.DirEntry, error) {
	de := &dirent{parent: f.name, name: name, typ: typ}
	if typ != unknownType && !f.inRoot {
		return de, nil
	}
	fi, err := f.lstatat(name)
	if err != nil {
		return nil, err
	}
	de.info = fi
	de.typ = fi.Mode().Type()
	return de, nil
}
