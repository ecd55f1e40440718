package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/uringfs/uring/uringfs"
)

// fioWorkloads are the workloads fio can run as we do, from one job at
// iodepth = goroutines: O_DIRECT random I/O of -bs on the shared data file,
// and buffered random reads of the cold file.
var fioWorkloads = []string{wRandReadDirect, wRandWriteDirect, wMixed, wRandReadCold}

func fioRuns(w string) bool { return slices.Contains(fioWorkloads, w) }

// fioPath is where fio is, or "" when it is not on PATH. The comparison with
// fio is optional: nothing else depends on it.
func fioPath() string {
	p, err := exec.LookPath("fio")
	if err != nil {
		return ""
	}
	return p
}

// fioDir is one data direction of fio's JSON job.
type fioDir struct {
	IOBytes  int64   `json:"io_bytes"`
	TotalIOs int64   `json:"total_ios"`
	IOPS     float64 `json:"iops"`
	Runtime  int64   `json:"runtime"` // ms
}

// fioOutput is the part of fio's JSON output we read.
type fioOutput struct {
	Jobs []struct {
		Error      int     `json:"error"`
		JobRuntime int64   `json:"job_runtime"` // ms
		UsrCPU     float64 `json:"usr_cpu"`     // percent of the job's runtime
		SysCPU     float64 `json:"sys_cpu"`
		Read       fioDir  `json:"read"`
		Write      fioDir  `json:"write"`
		Sync       struct {
			TotalIOs int64 `json:"total_ios"`
		} `json:"sync"`
	} `json:"jobs"`
}

// fioArgs is fio's command line for spec: the same file, size, block size,
// O_DIRECT and read share as our engines use, one job with spec.Goroutines
// I/Os in flight, and with -fsync N an fsync after every N writes.
func fioArgs(spec phaseSpec) ([]string, error) {
	file, size := fioFile(spec)
	rw := []string{"--direct=1"}
	switch spec.Workload {
	case wRandReadDirect:
		rw = append(rw, "--rw=randread")
	case wRandReadCold:
		// --invalidate=1 is fio's drop of the file's cache before the
		// job, as our phases drop it before theirs. fio would also
		// advise POSIX_FADV_RANDOM for a random job, turning off
		// readahead, which our engines leave as a program does: with
		// --fadvise_hint=0 the kernel treats both alike.
		rw = []string{"--direct=0", "--rw=randread", "--invalidate=1", "--fadvise_hint=0"}
	case wRandWriteDirect:
		rw = append(rw, "--rw=randwrite")
	case wMixed:
		rw = append(rw, "--rw=randrw", "--rwmixread="+strconv.Itoa(spec.Mix))
	default:
		return nil, fmt.Errorf("fio runs only %s", strings.Join(fioWorkloads, ", "))
	}
	if spec.FsyncEvery > 0 && writes(spec.Workload) {
		// fio counts writes issued by the job; we count them per
		// goroutine. Either way it is one fsync per N writes overall, as
		// far as fio keeps to it (see fioNotes).
		rw = append(rw, "--fsync="+strconv.Itoa(spec.FsyncEvery))
	}
	ramp := min(spec.Duration/10, 200*time.Millisecond)
	args := []string{
		// fio splits --filename at colons; a backslash keeps one.
		"--name=uringbench", "--filename=" + strings.ReplaceAll(file, ":", `\:`),
		"--ioengine=io_uring",
	}
	args = append(args, rw...)
	args = append(args,
		"--bs="+strconv.FormatInt(spec.BS, 10),
		"--size="+strconv.FormatInt(size, 10),
		"--iodepth="+strconv.Itoa(spec.Goroutines), "--numjobs=1",
		"--norandommap", "--randrepeat=0", "--time_based",
		"--ramp_time="+strconv.FormatInt(ramp.Milliseconds(), 10)+"ms",
		// fio reads a runtime of 0 as "no limit".
		"--runtime="+strconv.FormatInt(max((spec.Duration-ramp).Milliseconds(), 1), 10)+"ms",
		"--output-format=json",
	)
	return args, nil
}

// fioFile is the file fio works on for spec and how much of it: the data
// file, or the first ColdSize bytes of the cold file (fio leaves the rest
// of a larger file alone).
func fioFile(spec phaseSpec) (string, int64) {
	if spec.Workload == wRandReadCold {
		return spec.Files.Cold, spec.Files.ColdSize
	}
	return spec.Files.Data, spec.Files.DataSize
}

// runFio runs spec through fio's io_uring engine with one job at queue
// depth spec.Goroutines: the device limit a ring can reach from one thread,
// the number to compare the uring engine with. The writing workloads write
// into the same data file our engines write, within its size, so the
// phases after them find it as they would after one of ours.
func runFio(fio string, spec phaseSpec, onProgress func(ops int64, elapsed time.Duration)) phaseResult {
	res := phaseResult{phaseSpec: spec, Threads: -1, CPU: -1, Others: -1}
	args, err := fioArgs(spec)
	if err != nil {
		res.Err = err.Error()
		return res
	}
	file, _ := fioFile(spec)
	before, err := os.Stat(file)
	if err != nil {
		res.Err = "fio: " + err.Error()
		return res
	}
	cmd := exec.Command(fio, args...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	start := time.Now()
	if err := cmd.Start(); err != nil {
		res.Err = "fio: " + err.Error()
		return res
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	tick := time.NewTicker(progressInterval)
	defer tick.Stop()
	var waitErr error
wait:
	for {
		select {
		case waitErr = <-done:
			break wait
		case <-tick.C:
			if onProgress != nil {
				onProgress(-1, time.Since(start))
			}
		}
	}
	if waitErr != nil {
		res.Err = fmt.Sprintf("fio %s: %v: %s", strings.Join(args, " "), waitErr, strings.TrimSpace(errOut.String()))
		return res
	}
	// fio lays out a file smaller than --size; ours is never smaller, but
	// a later phase must not find the file changed under it.
	if st, err := os.Stat(file); err != nil || st.Size() != before.Size() {
		res.Err = fmt.Sprintf("fio left %s changed: %v, was %d bytes", file, fileSizeOrErr(st, err), before.Size())
		return res
	}
	if err := parseFio(out.Bytes(), &res); err != nil {
		res.Err = "fio: " + err.Error()
	}
	return res
}

func fileSizeOrErr(st os.FileInfo, err error) string {
	if err != nil {
		return err.Error()
	}
	return strconv.FormatInt(st.Size(), 10) + " bytes"
}

// parseFio fills res from fio's JSON output: the ops, bytes and runtime of
// reads and writes together, CPU from the job's usr_cpu and sys_cpu, and
// the writes and fsyncs it issued.
func parseFio(text []byte, res *phaseResult) error {
	// fio may print notes before the JSON document.
	if i := bytes.IndexByte(text, '{'); i > 0 {
		text = text[i:]
	}
	var fo fioOutput
	if err := json.Unmarshal(text, &fo); err != nil || len(fo.Jobs) == 0 {
		return fmt.Errorf("cannot read its JSON output (%v)", err)
	}
	j := fo.Jobs[0]
	if j.Error != 0 {
		return fmt.Errorf("job error %d", j.Error)
	}
	res.Ops = j.Read.TotalIOs + j.Write.TotalIOs
	res.Bytes = j.Read.IOBytes + j.Write.IOBytes
	// Each direction's runtime is the job's measured time, less a
	// millisecond here or there; a direction with no I/O reports 0.
	res.Elapsed = time.Duration(max(j.Read.Runtime, j.Write.Runtime)) * time.Millisecond
	if iops := j.Read.IOPS + j.Write.IOPS; res.Elapsed <= 0 && iops > 0 {
		res.Elapsed = time.Duration(float64(res.Ops) / iops * float64(time.Second))
	}
	if res.Elapsed <= 0 {
		res.Elapsed = time.Duration(j.JobRuntime) * time.Millisecond
	}
	res.CPU = time.Duration((j.UsrCPU + j.SysCPU) / 100 * float64(res.Elapsed))
	res.CPUUser = time.Duration(j.UsrCPU / 100 * float64(res.Elapsed))
	res.Writes, res.Syncs = j.Write.TotalIOs, j.Sync.TotalIOs
	res.Threads = 1 // one job, one submitting thread
	res.Backend = "fio"
	return nil
}

// ioURingRefused reports why io_uring cannot be used in this process, or nil.
// With URINGFS_BACKEND=syscall the loop does not try io_uring, so nothing is
// known and fio is given its chance.
func ioURingRefused() error {
	if os.Getenv("URINGFS_BACKEND") == "syscall" {
		return nil
	}
	return uringfs.FallbackReason()
}
