package main

import (
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"
	"unsafe"
)

// Workload names as they appear in -workloads.
const (
	wRandReadDirect  = "randread-direct"  // O_DIRECT random reads of -bs
	wRandReadHot     = "randread-hot"     // random reads of -bs from a file in the page cache
	wRandReadCold    = "randread-cold"    // random reads of -bs, no O_DIRECT, from a file kept out of the page cache
	wRandWriteDirect = "randwrite-direct" // O_DIRECT random writes of -bs
	wMixed           = "mixed"            // O_DIRECT random reads and writes of -bs, -mix % reads
	wSeqRead         = "seqread"          // 1 MiB sequential reads of a -size file in the page cache
	wSeqWrite        = "seqwrite"         // 1 MiB sequential writes of -size, then fsync
	wReadFile        = "readfile"         // whole-file reads of many -bs sized files
)

// allWorkloads are the names -workloads takes, and "all", in the order of
// the report; stat stands for its ops (see phasesOf).
var allWorkloads = []string{wRandReadDirect, wRandReadHot, wRandReadCold, wRandWriteDirect, wMixed, wSeqRead, wSeqWrite, wReadFile,
	wAsyncRandRead, wReadFiles, wStat, wWalkAfero, wWalkFS}

// defaultWorkloads fit the default run in under a minute on 2 cores.
var defaultWorkloads = []string{wRandReadDirect, wRandReadHot}

// needsDirect tells which workloads open files with O_DIRECT.
func needsDirect(w string) bool {
	return w == wRandReadDirect || w == wRandWriteDirect || w == wMixed || w == wAsyncRandRead
}

// writes tells which workloads write, and so take -fsync.
func writes(w string) bool { return w == wRandWriteDirect || w == wMixed || w == wSeqWrite }

// timed workloads run for -duration; the others make one pass.
func timed(w string) bool { return w != wSeqWrite }

// seqChunk is the size of each read of seqread and each write of seqwrite:
// large enough that the per-call cost shows as bandwidth, as in a copy.
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
	// SeqRead is a file of whole seqChunks for seqread, written and read
	// once before the phases so that it is in the page cache.
	SeqRead     string `json:"seq_read,omitempty"`
	SeqReadSize int64  `json:"seq_read_size,omitempty"`
	// Cold is the file randread-cold reads the first ColdSize bytes of:
	// its own, or the O_DIRECT data file where that is big enough.
	Cold     string `json:"cold,omitempty"`
	ColdSize int64  `json:"cold_size,omitempty"`
	// StatDir holds StatFiles files of -bs bytes, named as smallName
	// names them: the stat ops use the first and the directory.
	StatDir   string `json:"stat_dir,omitempty"`
	StatFiles int    `json:"stat_files,omitempty"`
	// Tree holds TreeFiles files of -bs bytes, named as treeName names them.
	Tree      string `json:"tree,omitempty"`
	TreeFiles int    `json:"tree_files,omitempty"`
}

func smallName(dir string, i int) string { return filepath.Join(dir, fmt.Sprintf("f%05d", i)) }

// workerFunc does operations until w.stop is set (timed workloads) or its
// share of the work is done, reporting each through w.
type workerFunc func(w *worker) error

// phaseWork is a workload made ready to run on one engine.
type phaseWork struct {
	worker     workerFunc
	bytesPerOp int64
	close      func() error
	// perOp is set where an op is one call the worker can time; where it
	// is not (many ops in flight from one goroutine), no engine reports
	// latencies, so that the column never sets unlike things side by side.
	perOp bool
}

// worker is one goroutine of a phase. Its fields other than ops are its
// own until the phase has ended, so recording takes no lock.
type worker struct {
	id     int
	ops    *atomic.Int64 // the running op count, read by the phase
	stop   *atomic.Bool
	window *atomic.Bool // set while the measured window is open
	lat    *histogram   // nil if the phase does not time ops
	every  int          // Sync after this many writes; 0 never
	n      int64        // ops so far, what ops holds
	unsync int          // writes since the last Sync
	syncs  int64        // Sync calls in the window
	writes int64        // writes in the window
	// The workers sit side by side in a slice and write their fields on
	// every op: a cache line between them keeps them from contending.
	_ [64]byte
}

// done counts one op that started at start. Ops outside the window are
// counted (the phase subtracts the count at its start) but not timed.
func (w *worker) done(start time.Time) {
	if w.lat != nil && w.window.Load() {
		w.lat.add(time.Since(start))
	}
	w.n++
	w.ops.Store(w.n)
}

// wrote counts a write and, with -fsync N, syncs f after every N of them.
// The Sync is not part of the write's latency but is part of the phase's
// time, as it would be for an application that syncs.
func (w *worker) wrote(f benchFile) error {
	if w.window.Load() {
		w.writes++
	}
	if w.every <= 0 {
		return nil
	}
	if w.unsync++; w.unsync < w.every {
		return nil
	}
	w.unsync = 0
	return w.sync(f)
}

func (w *worker) sync(f benchFile) error {
	if w.window.Load() {
		w.syncs++
	}
	return f.Sync()
}

// prepare opens what a phase needs, outside the measured time.
func prepare(e *engine, s phaseSpec) (*phaseWork, error) {
	if w, ok, err := prepareAsync(e, s); ok {
		return w, err
	}
	if w, ok, err := prepareMeta(e, s); ok {
		return w, err
	}
	bs := s.BS
	switch s.Workload {
	case wRandReadDirect, wRandReadHot, wRandReadCold, wRandWriteDirect, wMixed:
		path, size, flag := s.Files.Hot, s.Files.HotSize, os.O_RDONLY
		readPct := 100
		switch s.Workload {
		case wRandReadDirect:
			path, size, flag = s.Files.Data, s.Files.DataSize, os.O_RDONLY|oDirect
		case wRandReadCold:
			path, size = s.Files.Cold, s.Files.ColdSize
		case wRandWriteDirect:
			path, size, flag, readPct = s.Files.Data, s.Files.DataSize, os.O_WRONLY|oDirect, 0
		case wMixed:
			path, size, flag, readPct = s.Files.Data, s.Files.DataSize, os.O_RDWR|oDirect, s.Mix
		}
		if path == "" || size < bs {
			return nil, fmt.Errorf("%s: no test file prepared", s.Workload)
		}
		f, err := e.open(path, flag, 0)
		if err != nil {
			return nil, err
		}
		if s.Workload == wRandReadCold {
			// Whatever earlier phases or the parent's writing left
			// cached goes before the clock starts; while the phase runs
			// the parent keeps dropping what its reads bring in.
			if err := dropCache(path); err != nil {
				f.Close()
				return nil, fmt.Errorf("%s: dropping the page cache: %w", s.Workload, err)
			}
		}
		return &phaseWork{worker: randomIO(f, size/bs, bs, readPct), bytesPerOp: bs, close: f.Close, perOp: true}, nil
	case wSeqRead:
		if s.Files.SeqRead == "" || s.Files.SeqReadSize < seqChunk {
			return nil, errors.New("seqread: no test file prepared")
		}
		// A handle per goroutine: each reads at its own file position, as
		// a program reading several files would; goroutines sharing one
		// position would take turns, not read in parallel.
		files := make([]benchFile, max(s.Goroutines, 1))
		closeAll := func() error {
			var first error
			for _, f := range files {
				if f != nil {
					if err := f.Close(); err != nil && first == nil {
						first = err
					}
				}
			}
			return first
		}
		for i := range files {
			f, err := e.open(s.Files.SeqRead, os.O_RDONLY, 0)
			if err != nil {
				closeAll()
				return nil, err
			}
			files[i] = f
		}
		return &phaseWork{worker: seqRead(files, s.Files.SeqReadSize), bytesPerOp: seqChunk, close: closeAll, perOp: true}, nil
	case wSeqWrite:
		if s.Files.SeqDir == "" {
			return nil, errors.New("seqwrite: no directory prepared")
		}
		name := filepath.Join(s.Files.SeqDir, "seq-"+e.name)
		return &phaseWork{worker: seqWrite(e, name, s.Files.SeqSize), bytesPerOp: seqChunk, close: func() error { return os.Remove(name) }, perOp: true}, nil
	case wReadFile:
		if s.Files.SmallCount == 0 {
			return nil, errors.New("readfile: no files prepared")
		}
		names := make([]string, s.Files.SmallCount)
		for i := range names {
			names[i] = smallName(s.Files.SmallDir, i)
		}
		return &phaseWork{worker: readFiles(e, names, bs), bytesPerOp: bs, close: func() error { return nil }, perOp: true}, nil
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
// one shared file, the way a database shares one *os.File between
// goroutines: readPct of the ops are reads, the rest writes.
func randomIO(f benchFile, blocks, bs int64, readPct int) workerFunc {
	return func(w *worker) error {
		buf := alignedBuf(bs)
		for i := range buf {
			buf[i] = byte(i*7 + w.id)
		}
		rng := newRand(w.id)
		for !w.stop.Load() {
			off := rng.Int64N(blocks) * bs
			// Drawing only when the mix needs it keeps the pure workloads'
			// random sequences (and cost) as they were.
			read := readPct >= 100 || readPct > 0 && rng.IntN(100) < readPct
			start := time.Now()
			var err error
			if read {
				_, err = f.ReadAt(buf, off)
			} else {
				_, err = f.WriteAt(buf, off)
			}
			if err != nil {
				return err
			}
			w.done(start)
			if !read {
				if err := w.wrote(f); err != nil {
					return err
				}
			}
		}
		return nil
	}
}

// seqRead reads the file from start to end in seqChunk reads through worker
// id's own handle, and again from the start, until stopped. The workers
// start at different places, so that they do not all copy the same pages at
// once.
func seqRead(files []benchFile, size int64) workerFunc {
	return func(w *worker) error {
		f := files[w.id]
		buf := make([]byte, seqChunk)
		chunks := size / seqChunk
		pos := chunks * int64(w.id) / int64(len(files)) * seqChunk
		if _, err := f.Seek(pos, io.SeekStart); err != nil {
			return err
		}
		for !w.stop.Load() {
			start := time.Now()
			n, err := f.Read(buf)
			if err != nil {
				return err
			}
			if n != seqChunk {
				return fmt.Errorf("seqread: read %d bytes at %d, want %d", n, pos, seqChunk)
			}
			w.done(start)
			// Rewinding at the end, not on io.EOF, keeps an empty read
			// out of the count.
			if pos += seqChunk; pos >= chunks*seqChunk {
				if _, err := f.Seek(0, io.SeekStart); err != nil {
					return err
				}
				pos = 0
			}
		}
		return nil
	}
}

// seqWrite writes size bytes in 1 MiB writes to a new file and fsyncs it.
// Only worker 0 does the work: a sequential write has one writer.
func seqWrite(e *engine, name string, size int64) workerFunc {
	return func(w *worker) error {
		if w.id != 0 {
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
		for left := size; left > 0 && !w.stop.Load(); left -= seqChunk {
			start := time.Now()
			if _, err := f.Write(buf[:min(left, seqChunk)]); err != nil {
				f.Close()
				return err
			}
			w.done(start)
			if err := w.wrote(f); err != nil {
				f.Close()
				return err
			}
		}
		if err := w.sync(f); err != nil {
			f.Close()
			return err
		}
		return f.Close()
	}
}

// readFiles reads whole small files chosen at random: with the API's
// ReadFile where it has one, else open, ReadAt and Close.
func readFiles(e *engine, names []string, bs int64) workerFunc {
	return func(w *worker) error {
		rng := newRand(w.id)
		buf := make([]byte, bs)
		for !w.stop.Load() {
			name := names[rng.IntN(len(names))]
			start := time.Now()
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
			w.done(start)
		}
		return nil
	}
}
