package main

import (
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync/atomic"
	"unsafe"
)

// Workload names as they appear in -workloads.
const (
	wRandReadDirect  = "randread-direct"  // O_DIRECT random reads of -bs
	wRandReadHot     = "randread-hot"     // random reads of -bs from a file in the page cache
	wRandWriteDirect = "randwrite-direct" // O_DIRECT random writes of -bs
	wSeqWrite        = "seqwrite"         // 1 MiB sequential writes of -size, then fsync
	wReadFile        = "readfile"         // whole-file reads of many -bs sized files
)

// allWorkloads is the order of the report.
var allWorkloads = []string{wRandReadDirect, wRandReadHot, wRandWriteDirect, wSeqWrite, wReadFile}

// defaultWorkloads fit the default run in under a minute on 2 cores.
var defaultWorkloads = []string{wRandReadDirect, wRandReadHot}

// needsDirect tells which workloads open files with O_DIRECT.
func needsDirect(w string) bool {
	return w == wRandReadDirect || w == wRandWriteDirect || w == wAsyncRandRead
}

// timed workloads run for -duration; the others make one pass.
func timed(w string) bool { return w != wSeqWrite }

// seqChunk is the write size of seqwrite.
const seqChunk = 1 << 20

// fileSet names the files the parent prepared; children get it in their
// spec and only open what is there.
type fileSet struct {
	Data       string `json:"data,omitempty"` // -size bytes, for the O_DIRECT workloads
	DataSize   int64  `json:"data_size,omitempty"`
	Hot        string `json:"hot,omitempty"` // -hot-size bytes, kept in the page cache
	HotSize    int64  `json:"hot_size,omitempty"`
	SmallDir   string `json:"small_dir,omitempty"` // -files files of -bs bytes
	SmallCount int    `json:"small_count,omitempty"`
	SeqDir     string `json:"seq_dir,omitempty"` // where seqwrite creates its file
	SeqSize    int64  `json:"seq_size,omitempty"`
}

func smallName(dir string, i int) string { return filepath.Join(dir, fmt.Sprintf("f%05d", i)) }

// workerFunc does operations until stop is set (timed workloads) or its
// share of the work is done, storing its running count in ops.
type workerFunc func(id int, ops *atomic.Int64, stop *atomic.Bool) error

// phaseWork is a workload made ready to run on one engine.
type phaseWork struct {
	worker     workerFunc
	bytesPerOp int64
	close      func() error
}

// prepare opens what a phase needs, outside the measured time.
func prepare(e *engine, s phaseSpec) (*phaseWork, error) {
	if w, ok, err := prepareAsync(e, s); ok {
		return w, err
	}
	bs := s.BS
	switch s.Workload {
	case wRandReadDirect, wRandReadHot, wRandWriteDirect:
		path, size, flag := s.Files.Hot, s.Files.HotSize, os.O_RDONLY
		switch s.Workload {
		case wRandReadDirect:
			path, size, flag = s.Files.Data, s.Files.DataSize, os.O_RDONLY|oDirect
		case wRandWriteDirect:
			path, size, flag = s.Files.Data, s.Files.DataSize, os.O_WRONLY|oDirect
		}
		if path == "" || size < bs {
			return nil, fmt.Errorf("%s: no test file prepared", s.Workload)
		}
		f, err := e.open(path, flag, 0)
		if err != nil {
			return nil, err
		}
		write := s.Workload == wRandWriteDirect
		return &phaseWork{worker: randomIO(f, size/bs, bs, write), bytesPerOp: bs, close: f.Close}, nil
	case wSeqWrite:
		if s.Files.SeqDir == "" {
			return nil, errors.New("seqwrite: no directory prepared")
		}
		name := filepath.Join(s.Files.SeqDir, "seq-"+e.name)
		return &phaseWork{worker: seqWrite(e, name, s.Files.SeqSize), bytesPerOp: seqChunk, close: func() error { return os.Remove(name) }}, nil
	case wReadFile:
		if s.Files.SmallCount == 0 {
			return nil, errors.New("readfile: no files prepared")
		}
		names := make([]string, s.Files.SmallCount)
		for i := range names {
			names[i] = smallName(s.Files.SmallDir, i)
		}
		return &phaseWork{worker: readFiles(e, names, bs), bytesPerOp: bs, close: func() error { return nil }}, nil
	}
	return nil, fmt.Errorf("unknown workload %q", s.Workload)
}

// alignedBuf returns n bytes starting on a 4096-byte boundary, as O_DIRECT
// wants on every file system we know of.
func alignedBuf(n int64) []byte {
	const align = 4096
	b := make([]byte, n+align)
	off := 0
	if r := int(uintptr(unsafe.Pointer(&b[0])) & (align - 1)); r != 0 {
		off = align - r
	}
	return b[off : off+int(n) : off+int(n)]
}

func newRand(id int) *rand.Rand {
	return rand.New(rand.NewPCG(rand.Uint64(), uint64(id)))
}

// randomIO reads or writes whole blocks at uniformly random block offsets of
// one shared file, the way a database shares one *os.File between goroutines.
func randomIO(f benchFile, blocks, bs int64, write bool) workerFunc {
	return func(id int, ops *atomic.Int64, stop *atomic.Bool) error {
		buf := alignedBuf(bs)
		for i := range buf {
			buf[i] = byte(i*7 + id)
		}
		rng := newRand(id)
		var n int64
		for !stop.Load() {
			off := rng.Int64N(blocks) * bs
			var err error
			if write {
				_, err = f.WriteAt(buf, off)
			} else {
				_, err = f.ReadAt(buf, off)
			}
			if err != nil {
				return err
			}
			n++
			ops.Store(n)
		}
		return nil
	}
}

// seqWrite writes size bytes in 1 MiB writes to a new file and fsyncs it.
// Only worker 0 does the work: a sequential write has one writer.
func seqWrite(e *engine, name string, size int64) workerFunc {
	return func(id int, ops *atomic.Int64, stop *atomic.Bool) error {
		if id != 0 {
			return nil
		}
		f, err := e.open(name, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
		if err != nil {
			return err
		}
		buf := make([]byte, seqChunk)
		for i := range buf {
			buf[i] = byte(i * 13)
		}
		var n int64
		for left := size; left > 0 && !stop.Load(); left -= seqChunk {
			if _, err := f.Write(buf[:min(left, seqChunk)]); err != nil {
				f.Close()
				return err
			}
			n++
			ops.Store(n)
		}
		if err := f.Sync(); err != nil {
			f.Close()
			return err
		}
		return f.Close()
	}
}

// readFiles reads whole small files chosen at random: with the API's
// ReadFile where it has one, else open, ReadAt and Close.
func readFiles(e *engine, names []string, bs int64) workerFunc {
	return func(id int, ops *atomic.Int64, stop *atomic.Bool) error {
		rng := newRand(id)
		buf := make([]byte, bs)
		var n int64
		for !stop.Load() {
			name := names[rng.IntN(len(names))]
			if e.readFile != nil {
				b, err := e.readFile(name)
				if err != nil {
					return err
				}
				if int64(len(b)) != bs {
					return fmt.Errorf("%s: read %d bytes, want %d", name, len(b), bs)
				}
			} else {
				f, err := e.open(name, os.O_RDONLY, 0)
				if err != nil {
					return err
				}
				m, err := f.ReadAt(buf, 0)
				if err != nil && !(err == io.EOF && int64(m) == bs) {
					f.Close()
					return err
				}
				if err := f.Close(); err != nil {
					return err
				}
			}
			n++
			ops.Store(n)
		}
		return nil
	}
}
