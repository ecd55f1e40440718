package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"github.com/uringfs/uring/uringfs"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// fioPath is where fio is, or "" when it is not on PATH. The comparison with
// fio is optional: nothing else depends on it.
func fioPath() string {
	p, err := exec.LookPath("fio")
	if err != nil {
		return ""
	}
	return p
}

// fioOutput is the part of fio's JSON output we read.
type fioOutput struct {
	Jobs []struct {
		Error      int     `json:"error"`
		JobRuntime int64   `json:"job_runtime"` // ms
		UsrCPU     float64 `json:"usr_cpu"`     // percent of the job's runtime
		SysCPU     float64 `json:"sys_cpu"`
		Read       struct {
			IOBytes  int64   `json:"io_bytes"`
			TotalIOs int64   `json:"total_ios"`
			IOPS     float64 `json:"iops"`
			Runtime  int64   `json:"runtime"` // ms
		} `json:"read"`
	} `json:"jobs"`
}

// runFio runs the randread-direct phase through fio's io_uring engine with
// one job at queue depth spec.Goroutines: the device limit a ring can reach
// from one thread, the number to compare the uring engine with.
func runFio(fio string, spec phaseSpec, onProgress func(ops int64, elapsed time.Duration)) phaseResult {
	res := phaseResult{phaseSpec: spec, Threads: -1, CPU: -1, Others: -1}
	if spec.Workload != wRandReadDirect {
		res.Err = "fio runs only " + wRandReadDirect
		return res
	}
	ramp := min(spec.Duration/10, 200*time.Millisecond)
	args := []string{
		"--name=uringbench", "--filename=" + spec.Files.Data,
		"--ioengine=io_uring", "--direct=1", "--rw=randread",
		"--bs=" + strconv.FormatInt(spec.BS, 10),
		"--size=" + strconv.FormatInt(spec.Files.DataSize, 10),
		"--iodepth=" + strconv.Itoa(spec.Goroutines), "--numjobs=1",
		"--norandommap", "--randrepeat=0", "--time_based",
		"--ramp_time=" + strconv.FormatInt(ramp.Milliseconds(), 10) + "ms",
		// fio reads a runtime of 0 as "no limit".
		"--runtime=" + strconv.FormatInt(max((spec.Duration-ramp).Milliseconds(), 1), 10) + "ms",
		"--output-format=json",
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
	// fio may print notes before the JSON document.
	text := out.Bytes()
	if i := bytes.IndexByte(text, '{'); i > 0 {
		text = text[i:]
	}
	var fo fioOutput
	if err := json.Unmarshal(text, &fo); err != nil || len(fo.Jobs) == 0 {
		res.Err = fmt.Sprintf("fio: cannot read its JSON output (%v)", err)
		return res
	}
	j := fo.Jobs[0]
	if j.Error != 0 {
		res.Err = fmt.Sprintf("fio: job error %d", j.Error)
		return res
	}
	res.Ops = j.Read.TotalIOs
	res.Bytes = j.Read.IOBytes
	res.Elapsed = time.Duration(j.Read.Runtime) * time.Millisecond
	if res.Elapsed <= 0 && j.Read.IOPS > 0 {
		res.Elapsed = time.Duration(float64(res.Ops) / j.Read.IOPS * float64(time.Second))
	}
	res.CPU = time.Duration((j.UsrCPU + j.SysCPU) / 100 * float64(res.Elapsed))
	res.CPUUser = time.Duration(j.UsrCPU / 100 * float64(res.Elapsed))
	res.Threads = 1 // one job, one submitting thread
	res.Backend = "fio"
	return res
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
