package conformance

// File scenarios that share one File between goroutines: ReadAt and
// WriteAt on disjoint regions, Read from one offset, and O_APPEND writes.

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"sync"
)

// parallel runs fn(0) to fn(n-1) each on a goroutine of its own, waits for
// all of them and returns what they returned, in order. A worker that
// panics yields "panic: " and the value instead, so that the scenario still
// records what the other workers saw.
func parallel(n int, fn func(i int) string) []string {
	out := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() {
				if v := recover(); v != nil {
					out[i] = fmt.Sprint("panic: ", v)
				}
			}()
			out[i] = fn(i)
		}()
	}
	wg.Wait()
	return out
}

var concurrentScenarios = []scenario[FileSystem]{
	{"concurrent-at", func(r *recorder, x FileSystem) {
		const workers, region, chunk = 16, 64 << 10, 16 << 10
		f := openFile(r, x, "c", os.O_RDWR|os.O_CREATE, 0o644)
		r.rec("Truncate", f.Truncate(workers*region))
		writes := make([][]string, workers)
		read := parallel(workers, func(i int) string {
			data := pattern(uint64(100+i), region)
			base := int64(i * region)
			for off := 0; off < region; off += chunk {
				n, err := f.WriteAt(data[off:off+chunk], base+int64(off))
				writes[i] = append(writes[i], r.format(n)+" "+r.format(err))
			}
			buf := make([]byte, region)
			n, err := f.ReadAt(buf, base)
			return fmt.Sprintf("%d %s match=%v", n, r.format(err), bytes.Equal(buf, data))
		})
		for i := range workers {
			r.rec(fmt.Sprintf("worker %d", i), ordered(writes[i]), read[i])
		}
		// Overlapping readers, some running off the end of the file.
		reads := parallel(workers, func(i int) string {
			buf := make([]byte, 3*region)
			n, err := f.ReadAt(buf, int64(i*region+1000))
			return fmt.Sprintf("%d %s %s", n, r.format(err), digest(buf[:clampN(n, len(buf))]))
		})
		for i, s := range reads {
			r.rec(fmt.Sprintf("reader %d", i), s)
		}
		stat(r, "Stat", f)
	}},
	{"concurrent-read-append", func(r *recorder, x FileSystem) {
		const size, chunk, workers = 256 << 10, 4096, 8
		r.rec("fixture", os.WriteFile(pth(r, "src"), pattern(5, size), 0o644))
		f := open(r, x, "src")
		var mu sync.Mutex
		var chunks []string
		total := 0
		panics := parallel(workers, func(int) string {
			buf := make([]byte, chunk)
			for {
				n, err := f.Read(buf)
				mu.Lock()
				total += n
				if n > 0 || err != io.EOF {
					chunks = append(chunks, fmt.Sprintf("%d %s %s", n, r.format(err), digest(buf[:clampN(n, len(buf))])))
				}
				mu.Unlock()
				if err != nil || n == 0 {
					return ""
				}
			}
		})
		for _, p := range panics {
			if p != "" {
				chunks = append(chunks, p)
			}
		}
		slices.Sort(chunks)
		r.rec("concurrent Read total", total, len(chunks), digest([]byte(strings.Join(chunks, "\n"))))

		r.unordered("log")
		a := openFile(r, x, "log", os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
		errs := parallel(workers, func(i int) string {
			for j := range 50 {
				if _, err := a.WriteString(fmt.Sprintf("worker%02d line%03d\n", i, j)); err != nil {
					return r.format(err)
				}
			}
			return ""
		})
		r.rec("append errors", ordered(errs))
		b, err := os.ReadFile(pth(r, "log"))
		lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
		r.rec("appended lines", len(b), err, lines)
	}},
}
