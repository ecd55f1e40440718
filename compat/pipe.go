package compat

// Pipe returns a connected pair of Files, like os.Pipe: reads from r return
// the bytes written to w. Both ends are Files of this package, whose I/O runs
// on the loop; both are closed on exec, as os's are. The Files own their
// descriptors: close both when done.
//
// On the io_uring backend the pipe stays in blocking mode and a Read or Write
// that must wait does so in the ring, which Close cancels. On the syscall
// backend, and on systems other than Linux, it is made non-blocking, as os
// makes its pipes, and waits in the runtime poller.
func Pipe() (r *File, w *File, err error) {
	rfd, wfd, err := pipeFds()
	if err != nil {
		return nil, nil, err
	}
	if pipeNonblock() {
		setNonblock(rfd)
		setNonblock(wfd)
	}
	return NewFile(rfd, "|0"), NewFile(wfd, "|1"), nil
}
