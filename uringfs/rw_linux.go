package uringfs

import "context"

// pread is one read of the file at off (-1: at the file offset). Buffered
// files try the page cache on the caller first (see sched.PreadCached);
// O_DIRECT files go straight to the ring.
func (f *File) pread(ctx context.Context, b []byte, off int64) (int, error) {
	l, err := f.opLoop()
	if err != nil {
		return 0, err
	}
	if f.direct {
		return l.Pread(ctx, f.fd, b, off)
	}
	return l.PreadCached(ctx, f.fd, b, off, &f.cacheHint)
}

// pwrite is one write at off (-1: at the file offset, or the end with
// O_APPEND), with the same split as pread.
func (f *File) pwrite(ctx context.Context, b []byte, off int64) (int, error) {
	l, err := f.opLoop()
	if err != nil {
		return 0, err
	}
	if f.direct {
		return l.Pwrite(ctx, f.fd, b, off)
	}
	if f.noNowaitWrite.Load() {
		return l.PwriteBuffered(ctx, f.fd, b, off)
	}
	n, unsupported, err := l.PwriteCached(ctx, f.fd, b, off)
	if unsupported {
		f.noNowaitWrite.Store(true)
	}
	return n, err
}
