package main

// -footprint: what the loop costs a process in rings, descriptors, memory
// and threads, against GOMAXPROCS and against load. Each measurement runs
// in a fresh child whose GOMAXPROCS is set before the runtime starts, so
// that the loop sizes itself as it would in a program started that way.

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/uringfs/uring/uringfs"
)

// footprintChildFlag, as the first argument, makes the tool one
// footprint measurement (footprintChild).
const footprintChildFlag = "-footprint-child"

// footprintProcs are the GOMAXPROCS values of the curve.
var footprintProcs = []int{1, 2, 4, 8, 16, 32, 64}

// footprintLoads are the goroutine counts of the load rows, each reading
// O_DIRECT blocks at random for footprintLoadTime.
var footprintLoads = []int{1, 8, 32, 128}

const (
	footprintLoadTime = 500 * time.Millisecond
	footprintFileSize = 16 << 20
	footprintFiles    = 3 // files a "few files" program opens, reads and closes
)

// footprint is one child's report: what the process gained over its own
// state before its first I/O.
type footprint struct {
	Rings   int   `json:"rings"`
	FDs     int   `json:"fds"`
	RSSKiB  int64 `json:"rss_kib"`
	Threads int   `json:"threads"`
	Ops     int64 `json:"ops"`
}

// runFootprint prints the curve: for each GOMAXPROCS, a program that reads
// a few files, on os and on uringfs; then, at the largest GOMAXPROCS, the
// same process under O_DIRECT random reads from more and more goroutines.
func runFootprint(dir string, stdout, stderr io.Writer) error {
	tmp, err := os.MkdirTemp(dir, "uringbench-footprint-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	var names []string
	for i := 0; i < footprintFiles; i++ {
		name := filepath.Join(tmp, fmt.Sprintf("f%d", i))
		if err := os.WriteFile(name, bytes.Repeat([]byte{byte('a' + i)}, footprintFileSize), 0o644); err != nil {
			return err
		}
		names = append(names, name)
	}
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	measure := func(procs int, engine string, load int) (footprint, error) {
		cmd := exec.Command(exe, footprintChildFlag, engine, strconv.Itoa(load), strings.Join(names, string(filepath.ListSeparator)))
		cmd.Env = withEnv(os.Environ(), "GOMAXPROCS", strconv.Itoa(procs))
		cmd.Stderr = stderr
		out, err := cmd.Output()
		if err != nil {
			return footprint{}, fmt.Errorf("footprint child (GOMAXPROCS %d, %s, load %d): %w", procs, engine, load, err)
		}
		var fp footprint
		if err := json.Unmarshal(out, &fp); err != nil {
			return footprint{}, fmt.Errorf("footprint child: %w: %q", err, out)
		}
		return fp, nil
	}

	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "A program that opens, reads and closes %d files of %d MiB: what it gains over its state before the first I/O\n", footprintFiles, footprintFileSize>>20)
	fmt.Fprintln(tw, "GOMAXPROCS\tengine\trings\tfds\tRSS KiB\tthreads\t")
	for _, procs := range footprintProcs {
		for _, engine := range []string{engineOS, engineUring} {
			fp, err := measure(procs, engine, 0)
			if err != nil {
				return err
			}
			fmt.Fprintf(tw, "%d\t%s\t%d\t%+d\t%+d\t%+d\t\n", procs, engine, fp.Rings, fp.FDs, fp.RSSKiB, fp.Threads)
		}
	}
	tw.Flush()
	procs := footprintProcs[len(footprintProcs)-1]
	fmt.Fprintf(tw, "\nThe same at GOMAXPROCS %d after %v of O_DIRECT 4 KiB random reads from G goroutines\n", procs, footprintLoadTime)
	fmt.Fprintln(tw, "G\tengine\trings\tfds\tRSS KiB\tthreads\tops\t")
	for _, load := range footprintLoads {
		for _, engine := range []string{engineOS, engineUring} {
			fp, err := measure(procs, engine, load)
			if err != nil {
				return err
			}
			fmt.Fprintf(tw, "%d\t%s\t%d\t%+d\t%+d\t%+d\t%d\t\n", load, engine, fp.Rings, fp.FDs, fp.RSSKiB, fp.Threads, fp.Ops)
		}
	}
	tw.Flush()
	fmt.Fprintln(stdout, "\nfds, RSS and threads: the process's /proc/self/fd count, VmRSS and Threads after the work, less")
	fmt.Fprintln(stdout, "the same before its first I/O (the files it opened are closed again). rings: uringfs.Stats().Rings.")
	return nil
}

// footprintChild is one measurement: args are the engine, the number of
// load goroutines (0: read each file once) and the files, joined by the
// path list separator. It prints a footprint as JSON.
func footprintChild(args []string, stdout, stderr io.Writer) int {
	if len(args) != 3 {
		fmt.Fprintln(stderr, "usage: uringbench -footprint-child engine load files")
		return 2
	}
	engine, names := args[0], filepath.SplitList(args[2])
	load, err := strconv.Atoi(args[1])
	if err != nil || (engine != engineOS && engine != engineUring) || len(names) == 0 {
		fmt.Fprintln(stderr, "uringbench -footprint-child: bad arguments", args)
		return 2
	}
	before := processFootprint()
	var ops int64
	if load == 0 {
		err = readWhole(engine, names)
	} else {
		ops, err = readRandomDirect(engine, names[0], load)
	}
	if err != nil {
		fmt.Fprintln(stderr, "uringbench -footprint-child:", err)
		return 1
	}
	after := processFootprint()
	fp := footprint{
		FDs:     after.FDs - before.FDs,
		RSSKiB:  after.RSSKiB - before.RSSKiB,
		Threads: after.Threads - before.Threads,
		Ops:     ops,
	}
	if engine == engineUring {
		fp.Rings = len(uringfs.Stats().Rings)
	}
	json.NewEncoder(stdout).Encode(fp)
	return 0
}

// readWhole opens, reads and closes each file once.
func readWhole(engine string, names []string) error {
	for _, name := range names {
		var f io.ReadCloser
		var err error
		if engine == engineOS {
			f, err = os.Open(name)
		} else {
			f, err = uringfs.Open(name)
		}
		if err != nil {
			return err
		}
		_, err = io.Copy(io.Discard, f)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// readRandomDirect reads 4 KiB blocks at random offsets of name, opened
// with O_DIRECT, from g goroutines for footprintLoadTime, and returns the
// number of reads.
func readRandomDirect(engine, name string, g int) (int64, error) {
	type readerAt interface {
		io.ReaderAt
		io.Closer
	}
	var f readerAt
	var err error
	if engine == engineOS {
		f, err = os.OpenFile(name, os.O_RDONLY|syscall.O_DIRECT, 0)
	} else {
		f, err = uringfs.OpenFile(name, os.O_RDONLY|syscall.O_DIRECT, 0)
	}
	if err != nil {
		return 0, err
	}
	defer f.Close()
	deadline := time.Now().Add(footprintLoadTime)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var total int64
	var firstErr error
	for i := 0; i < g; i++ {
		wg.Add(1)
		go func(seed uint64) {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(seed, 1))
			buf := alignedBuf(4096)
			var n int64
			for time.Now().Before(deadline) {
				off := rng.Int64N(footprintFileSize/4096) * 4096
				if _, err := f.ReadAt(buf, off); err != nil {
					mu.Lock()
					firstErr = err
					mu.Unlock()
					return
				}
				n++
			}
			mu.Lock()
			total += n
			mu.Unlock()
		}(uint64(i))
	}
	wg.Wait()
	return total, firstErr
}

// processFootprint reads this process's descriptors, resident memory and
// threads.
func processFootprint() footprint {
	runtime.GC() // garbage left by earlier work is not the loop's
	var fp footprint
	if ents, err := os.ReadDir("/proc/self/fd"); err == nil {
		fp.FDs = len(ents) - 1 // the directory's own descriptor while it is read
	}
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return fp
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		key, val, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		fields := strings.Fields(val)
		if len(fields) == 0 {
			continue
		}
		n, _ := strconv.ParseInt(fields[0], 10, 64)
		switch key {
		case "VmRSS":
			fp.RSSKiB = n
		case "Threads":
			fp.Threads = int(n)
		}
	}
	return fp
}
