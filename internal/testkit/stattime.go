package testkit

import (
	"os"
	"sync"
	"time"
)

var statGranularity = sync.OnceValue(probeStatGranularity)

// StatTimeGranularity reports how finely os.Stat reports timestamps here:
// a nanosecond on a kernel, a whole second under qemu's user-mode s390x
// emulation, whose stat(2) drops the nanoseconds while statx(2) keeps them.
// Differential tests compare timestamps at this granularity, since the
// oracle cannot tell them apart more finely.
func StatTimeGranularity() time.Duration { return statGranularity() }

func probeStatGranularity() time.Duration {
	f, err := os.CreateTemp("", "testkit-stattime-")
	if err != nil {
		return time.Nanosecond
	}
	name := f.Name()
	f.Close()
	defer os.Remove(name)
	probe := time.Unix(1_000_000_000, 123_456_789)
	if os.Chtimes(name, probe, probe) != nil {
		return time.Nanosecond
	}
	fi, err := os.Stat(name)
	if err != nil || fi.ModTime().Nanosecond() != 0 {
		return time.Nanosecond
	}
	return time.Second
}

// OracleTime is t as precisely as os.Stat can report it here.
func OracleTime(t time.Time) time.Time { return t.Truncate(StatTimeGranularity()) }
