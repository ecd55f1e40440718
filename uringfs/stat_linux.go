package uringfs

import (
	"io/fs"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// statxMask asks for what os.FileInfo and syscall.Stat_t carry.
const statxMask = unix.STATX_BASIC_STATS

// fileInfo is the fs.FileInfo of a statx result. Sys returns a
// *syscall.Stat_t, as os's FileInfo does, so code that type-asserts it keeps
// working.
type fileInfo struct {
	name    string
	size    int64
	mode    fs.FileMode
	modTime time.Time
	sys     syscall.Stat_t
}

func (fi *fileInfo) Name() string       { return fi.name }
func (fi *fileInfo) Size() int64        { return fi.size }
func (fi *fileInfo) Mode() fs.FileMode  { return fi.mode }
func (fi *fileInfo) ModTime() time.Time { return fi.modTime }
func (fi *fileInfo) IsDir() bool        { return fi.mode.IsDir() }
func (fi *fileInfo) Sys() any           { return &fi.sys }

// integer is every integer type a Linux port's syscall.Stat_t uses for a
// field: the same statx value lands in an int32 on 386 and a uint64 on
// amd64, so one conversion serves every architecture.
type integer interface {
	~int32 | ~int64 | ~uint32 | ~uint64
}

// setInt stores v in *dst, converting to the field's own type (truncating
// where the port's struct stat is narrower, as the kernel's own stat does).
func setInt[T integer, V integer](dst *T, v V) { *dst = T(v) }

func statxTime(t unix.StatxTimestamp) syscall.Timespec {
	var ts syscall.Timespec
	setInt(&ts.Sec, t.Sec)
	setInt(&ts.Nsec, t.Nsec)
	return ts
}

func newFileInfo(name string, st *unix.Statx_t) *fileInfo {
	fi := &fileInfo{name: name}
	s := &fi.sys
	setInt(&s.Dev, unix.Mkdev(st.Dev_major, st.Dev_minor))
	setInt(&s.Ino, st.Ino)
	setLegacyIno(s, st.Ino)
	setInt(&s.Nlink, st.Nlink)
	s.Mode = uint32(st.Mode)
	s.Uid = st.Uid
	s.Gid = st.Gid
	setInt(&s.Rdev, unix.Mkdev(st.Rdev_major, st.Rdev_minor))
	setInt(&s.Size, st.Size)
	setInt(&s.Blksize, st.Blksize)
	setInt(&s.Blocks, st.Blocks)
	s.Atim = statxTime(st.Atime)
	s.Mtim = statxTime(st.Mtime)
	s.Ctim = statxTime(st.Ctime)
	fi.size = fi.sys.Size
	fi.modTime = time.Unix(fi.sys.Mtim.Unix())
	fi.mode = modeFromUnix(fi.sys.Mode)
	return fi
}

// modeFromUnix converts st_mode into Go's portable mode bits, as os does.
func modeFromUnix(m uint32) fs.FileMode {
	mode := fs.FileMode(m & 0o777)
	switch m & unix.S_IFMT {
	case unix.S_IFBLK:
		mode |= fs.ModeDevice
	case unix.S_IFCHR:
		mode |= fs.ModeDevice | fs.ModeCharDevice
	case unix.S_IFDIR:
		mode |= fs.ModeDir
	case unix.S_IFIFO:
		mode |= fs.ModeNamedPipe
	case unix.S_IFLNK:
		mode |= fs.ModeSymlink
	case unix.S_IFSOCK:
		mode |= fs.ModeSocket
	}
	for _, b := range specialBits {
		if m&b.unix != 0 {
			mode |= b.fs
		}
	}
	return mode
}

// syscallMode turns Go's portable mode bits into open(2)'s: the inverse of
// modeFromUnix for the bits a mode argument can carry.
func syscallMode(i fs.FileMode) uint32 {
	o := uint32(i.Perm())
	for _, b := range specialBits {
		if i&b.fs != 0 {
			o |= b.unix
		}
	}
	return o
}

// specialBits pairs Go's setuid, setgid and sticky bits with st_mode's, for
// the conversions both ways.
var specialBits = [...]struct {
	fs   fs.FileMode
	unix uint32
}{
	{fs.ModeSetuid, unix.S_ISUID},
	{fs.ModeSetgid, unix.S_ISGID},
	{fs.ModeSticky, unix.S_ISVTX},
}

// basename is the last element of a slash-separated name, trailing slashes
// ignored: "" gives ".", a run of slashes gives "/".
func basename(name string) string {
	if name == "" {
		return "."
	}
	end := len(name)
	for end > 0 && name[end-1] == '/' {
		end--
	}
	if end == 0 {
		return "/"
	}
	start := end
	for start > 0 && name[start-1] != '/' {
		start--
	}
	return name[start:end]
}
