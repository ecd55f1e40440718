package uringfs

import (
	"errors"
	"io/fs"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
)

// tempTries bounds the names CreateTemp and MkdirTemp try before giving up
// with fs.ErrExist, as os does.
const tempTries = 10000

// errPatternHasSeparator is the error os gives for a pattern holding a path
// separator; the text is the same so messages match.
var errPatternHasSeparator = errors.New("pattern contains path separator")

// CreateTemp creates a new file in dir, opened for reading and writing with
// mode 0o600 (before umask), like os.CreateTemp. Its name is pattern with a
// random decimal number in place of the last "*", or appended if there is
// none. An empty dir means os.TempDir(). Concurrent callers never get the
// same file (the create uses O_EXCL); removing it is the caller's job.
func CreateTemp(dir, pattern string) (*File, error) {
	if dir == "" {
		dir = os.TempDir()
	}
	prefix, suffix, err := splitPattern(pattern)
	if err != nil {
		return nil, &fs.PathError{Op: "createtemp", Path: pattern, Err: err}
	}
	prefix = joinDir(dir, prefix)
	for try := 0; ; try++ {
		f, err := OpenFile(prefix+randomPart()+suffix, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
		if err == nil {
			return f, nil
		}
		if !errors.Is(err, fs.ErrExist) {
			return nil, err
		}
		if try+1 >= tempTries {
			return nil, &fs.PathError{Op: "createtemp", Path: prefix + "*" + suffix, Err: fs.ErrExist}
		}
	}
}

// MkdirTemp creates a new directory in dir with mode 0o700 (before umask)
// and returns its path, like os.MkdirTemp. Naming follows CreateTemp.
func MkdirTemp(dir, pattern string) (string, error) {
	if dir == "" {
		dir = os.TempDir()
	}
	prefix, suffix, err := splitPattern(pattern)
	if err != nil {
		return "", &fs.PathError{Op: "mkdirtemp", Path: pattern, Err: err}
	}
	prefix = joinDir(dir, prefix)
	for try := 0; ; try++ {
		name := prefix + randomPart() + suffix
		err := Mkdir(name, 0o700)
		if err == nil {
			return name, nil
		}
		if errors.Is(err, fs.ErrExist) {
			if try+1 < tempTries {
				continue
			}
			return "", &fs.PathError{Op: "mkdirtemp", Path: prefix + "*" + suffix, Err: fs.ErrExist}
		}
		// A missing dir is reported as such, rather than as the missing
		// generated name.
		if errors.Is(err, fs.ErrNotExist) {
			if _, serr := Stat(dir); errors.Is(serr, fs.ErrNotExist) {
				return "", serr
			}
		}
		return "", err
	}
}

// randomPart is the generated piece of a temporary name: a random 32-bit
// number in decimal, so names look like os's.
func randomPart() string { return strconv.FormatUint(uint64(rand.Uint32()), 10) }

// splitPattern splits a temp-name pattern at its last "*".
func splitPattern(pattern string) (prefix, suffix string, err error) {
	for i := 0; i < len(pattern); i++ {
		if os.IsPathSeparator(pattern[i]) {
			return "", "", errPatternHasSeparator
		}
	}
	if i := strings.LastIndexByte(pattern, '*'); i >= 0 {
		return pattern[:i], pattern[i+1:], nil
	}
	return pattern, "", nil
}

// joinDir puts name in dir without doubling a trailing separator.
func joinDir(dir, name string) string {
	if dir != "" && os.IsPathSeparator(dir[len(dir)-1]) {
		return dir + name
	}
	return dir + string(os.PathSeparator) + name
}
