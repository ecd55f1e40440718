package main

import (
	"slices"
	"time"
)

// coldDropInterval is how often the cold file's pages are dropped while a
// randread-cold phase runs. The reads bring pages back in; at 100k reads a
// second (fio at depth 32 on a virtio disk) 100 ms of them cache 10k of
// the 256k blocks of the default 1 GiB file, so at most about 4% of reads
// can hit.
const coldDropInterval = 100 * time.Millisecond

// coldKeeper keeps a file out of the page cache while a phase runs on it,
// from outside the phase: the same for every engine and for fio, and, with
// -isolate, not in the phase's CPU time (it shows in others% instead).
// Before each drop it measures how much of the file was cached; the
// largest share bounds the share of reads that can have hit the cache.
type coldKeeper struct {
	name string
	size int64
	stop chan struct{}
	done chan struct{}
	peak float64
	err  error
}

// keepCold starts dropping name's first size bytes from the page cache
// every coldDropInterval, starting now.
func keepCold(name string, size int64) *coldKeeper {
	k := &coldKeeper{name: name, size: size, stop: make(chan struct{}), done: make(chan struct{})}
	go k.loop()
	return k
}

func (k *coldKeeper) loop() {
	defer close(k.done)
	if k.err = dropCache(k.name); k.err != nil {
		return
	}
	tick := time.NewTicker(coldDropInterval)
	defer tick.Stop()
	for {
		select {
		case <-k.stop:
			return
		case <-tick.C:
			if !k.sample() {
				return
			}
			if k.err = dropCache(k.name); k.err != nil {
				return
			}
		}
	}
}

// sample measures the cached share and keeps the largest.
func (k *coldKeeper) sample() bool {
	c, err := cachedShare(k.name, k.size)
	if err != nil {
		k.err = err
		return false
	}
	k.peak = max(k.peak, c)
	return true
}

// end stops the drops and returns the largest cached share seen, in
// percent, counting what the phase's last reads left.
func (k *coldKeeper) end() (peakPct float64, err error) {
	close(k.stop)
	<-k.done
	if k.err == nil {
		k.sample()
	}
	return 100 * k.peak, k.err
}

// coldNotes says how randread-cold kept its file cold, and which rows it
// did not manage to.
func (b *bench) coldNotes(rows []summary, workloads []string) {
	if !slices.Contains(workloads, wRandReadCold) {
		return
	}
	which := "a file of its own"
	if b.files.Cold == b.files.Data {
		which = "the O_DIRECT data file"
	}
	b.notef("randread-cold: random %d-byte ReadAt without O_DIRECT over the first %d MiB of %s, kept out of the page cache: "+
		"each phase drops the file's pages (posix_fadvise DONTNEED) before its clock starts and the parent drops them again every %v while it runs; "+
		"cached%% is the largest share of the file found cached (cachestat(2)) before a drop, an upper bound on the share of reads that hit",
		b.cfg.bs, b.files.ColdSize>>20, which, coldDropInterval)
	for _, s := range rows {
		if s.Workload == wRandReadCold && s.CachedPct > 10 {
			b.notef("randread-cold g=%d %s: up to %.0f%% of the file was in the page cache, so not all reads were cold "+
				"(a file system that keeps its pages, as tmpfs does, or a -cold-size too small for the rate)", s.Goroutines, s.Engine, s.CachedPct)
		}
	}
}
