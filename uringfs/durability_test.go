//go:build linux

package uringfs_test

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/uringfs/uring/internal/testkit"
	"github.com/uringfs/uring/uringfs"
)

// durabilityEnv names the directory a re-executed test binary writes into.
const durabilityEnv = "URINGFS_DURABILITY_DIR"

// durRecSize is the size of one record; record k of a file holds
// durRecord(k).
const durRecSize = 1000

func durRecord(file string, k int) []byte {
	b := make([]byte, durRecSize)
	binary.LittleEndian.PutUint64(b, uint64(k))
	for i := 8; i < len(b); i++ {
		b[i] = byte(k*7+i) ^ file[0]
	}
	return b
}

// TestDurabilityChild is the writer, run only as a child of TestDurability:
// it writes records with WriteAt to one file and with Write to an O_APPEND
// file, fsyncs each (Sync) and only then prints "ack <file> <k>". Record
// sizes vary so that writes straddle pages.
func TestDurabilityChild(t *testing.T) {
	dir := os.Getenv(durabilityEnv)
	if dir == "" {
		t.Skip("run by TestDurability")
	}
	at, err := uringfs.OpenFile(filepath.Join(dir, "at"), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	app, err := uringfs.OpenFile(filepath.Join(dir, "app"), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	out := bufio.NewWriter(os.Stdout)
	for k := 0; ; k++ {
		// WriteAt fills records out of order within a window of 8.
		j := k ^ 5
		if _, err := at.WriteAt(durRecord("at", j), int64(j)*durRecSize); err != nil {
			t.Fatal(err)
		}
		if _, err := app.Write(durRecord("app", k)); err != nil {
			t.Fatal(err)
		}
		if err := at.Sync(); err != nil {
			t.Fatal(err)
		}
		if err := app.Sync(); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(out, "ack at %d\nack app %d\n", j, k)
		out.Flush()
	}
}

// TestDurability starts the writer, kills it with SIGKILL at a random
// moment, and checks the files: every record whose fsync was acknowledged
// is there with the right bytes, and no byte anywhere is other than zero or
// the right byte for its place (a write cut short may be torn, never
// misplaced). A SIGKILL takes the process, not the machine: this proves
// the library acknowledges nothing before the kernel has it and puts every
// byte where it was asked; power-loss durability is the file system's.
func TestDurability(t *testing.T) {
	testkit.Deadline(t, hangDeadline)
	if os.Getenv(durabilityEnv) != "" {
		t.Skip("in the child")
	}
	iterations := 6
	if s := os.Getenv("URINGFS_DURABILITY_ITERATIONS"); s != "" {
		iterations, _ = strconv.Atoi(s)
	}
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7))
	totalAcks := 0
	for it := 0; it < iterations; it++ {
		dir := t.TempDir()
		cmd := exec.Command(os.Args[0], "-test.run=^TestDurabilityChild$", "-test.count=1")
		cmd.Env = append(os.Environ(), durabilityEnv+"="+dir)
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		acked := map[string]map[int]bool{"at": {}, "app": {}}
		lines := make(chan string)
		go func() {
			sc := bufio.NewScanner(stdout)
			for sc.Scan() {
				lines <- sc.Text()
			}
			close(lines)
		}()
		// Wait for the first acknowledgement, then kill at a random moment.
		kill := time.After(5 * time.Second)
		var killAt <-chan time.Time
		killed := false
	read:
		for {
			select {
			case l, ok := <-lines:
				if !ok {
					break read
				}
				var file string
				var k int
				if _, err := fmt.Sscanf(l, "ack %s %d", &file, &k); err == nil && acked[file] != nil {
					acked[file][k] = true
					if killAt == nil {
						killAt = time.After(time.Duration(rng.IntN(300)) * time.Millisecond)
					}
				}
			case <-killAt:
				cmd.Process.Signal(syscall.SIGKILL)
				killed, killAt = true, nil
			case <-kill:
				cmd.Process.Signal(syscall.SIGKILL)
				killed, kill = true, nil
			}
		}
		err = cmd.Wait()
		if !killed {
			t.Fatalf("writer exited by itself: %v\n%s", err, stderr.String())
		}
		if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || ws.Signal() != syscall.SIGKILL {
			t.Fatalf("writer ended with %v, not SIGKILL\n%s", err, stderr.String())
		}
		if strings.Contains(stderr.String(), "FAIL") {
			t.Fatalf("writer failed:\n%s", stderr.String())
		}
		for _, file := range []string{"at", "app"} {
			data, err := os.ReadFile(filepath.Join(dir, file))
			if err != nil {
				t.Fatal(err)
			}
			for k := range acked[file] {
				end := (k + 1) * durRecSize
				if end > len(data) || !bytes.Equal(data[k*durRecSize:end], durRecord(file, k)) {
					t.Errorf("iteration %d: %s record %d was acknowledged after fsync but is not on disk intact", it, file, k)
				}
			}
			var rec []byte
			for i, c := range data {
				k := i / durRecSize
				if i%durRecSize == 0 {
					rec = durRecord(file, k)
				}
				if c != 0 && c != rec[i%durRecSize] {
					t.Fatalf("iteration %d: %s byte %d (record %d) is %#x, not the record's byte: a write landed in the wrong place", it, file, i, k, c)
				}
			}
			totalAcks += len(acked[file])
		}
	}
	t.Logf("%d kills, %d acknowledged records checked", iterations, totalAcks)
	if totalAcks == 0 {
		t.Error("the writer never acknowledged a record: nothing was tested")
	}
}
