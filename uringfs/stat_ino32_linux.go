//go:build linux && (386 || arm)

package uringfs

import "syscall"

// setLegacyIno fills the 32-bit inode field that struct stat64 keeps on
// these ports beside the full one; the kernel stores the low bits there, so
// os.Stat's Sys() carries them too.
func setLegacyIno(st *syscall.Stat_t, ino uint64) { st.X__st_ino = uint32(ino) }
