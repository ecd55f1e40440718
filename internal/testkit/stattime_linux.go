package testkit

import (
	"syscall"
	"time"
)

// OracleStat clears what os.Stat cannot report here from st's timestamps
// (see StatTimeGranularity), so two results compare field by field.
func OracleStat(st *syscall.Stat_t) {
	if StatTimeGranularity() < time.Second {
		return
	}
	st.Atim.Nsec, st.Mtim.Nsec, st.Ctim.Nsec = 0, 0, 0
}
