package sched

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"

	"github.com/uringfs/uring/internal/ring"
)

// Backend names, as reported by Loop.Backend and accepted in
// URINGFS_BACKEND.
const (
	BackendURing   = "uring"
	BackendSyscall = "syscall"
)

// ErrClosed is returned for operations started after Loop.Close.
var ErrClosed = errors.New("uring: event loop closed")

// ErrUnavailable is wrapped by the error that New returns when the io_uring
// backend was required (Backend: "uring") and cannot be had.
var ErrUnavailable = errors.New("io_uring unavailable")

// Config chooses how a Loop is built. The zero value is the default.
type Config struct {
	// Backend is "" (io_uring, falling back to syscalls when io_uring is
	// refused), "uring" (io_uring or an error) or "syscall".
	Backend string
	// Rings is the number of rings, all set up by New; 0 means one per P
	// (GOMAXPROCS), each set up when its P first submits (see shardHere).
	Rings int
	// Entries is the SQ size of each ring, rounded up to a power of two by the
	// kernel; 0 means 512. It is also the limit of operations in flight per
	// ring: beyond it, submitters park.
	Entries uint32
	// RingMetadata sends every metadata operation to the ring. By default the
	// ones the kernel always hands to its worker threads (statx, rename,
	// unlink, mkdir, symlink, link) run as plain syscalls on the caller while
	// few of them are in progress at once; see Statx.
	RingMetadata bool
}

// Loop runs operations on io_uring or on plain syscalls. It is safe for
// concurrent use.
type Loop struct {
	backend string
	reason  error // why the syscall backend was chosen, if it was
	// shards holds a ring per P, set up when the P first submits
	// (shardHere); nil until then. first is the ring New set up: it goes
	// to the first P that submits (firstFree until then), so that a
	// program whose goroutines stay on one P has one ring.
	shards    []atomic.Pointer[shard]
	first     *shard
	firstFree atomic.Bool
	entries   uint32     // SQ size of each ring
	setUpMu   sync.Mutex // serialises setting up a ring
	// setUpFailed is set when setting up a ring failed (fd or memory
	// limits): the loop then keeps the rings it has.
	setUpFailed atomic.Bool
	probe       *ring.Probe
	stripes     []counters // one per P, see ctr

	// directMeta counts caller-side syscalls (metadata, buffered writes) in
	// progress; up to directLimit run that way, the rest go to the ring.
	directMeta  atomic.Int32
	directLimit int32

	// state packs a closed bit with the number of calls inside the loop, so
	// Close can refuse new calls and wait for the last one to leave.
	state   atomic.Int64
	drained chan struct{}
	// closing is closed when Close starts: calls waiting for a slot or a
	// completion then cancel their own ops, so that an op submitted after
	// Close's cancel-all still ends.
	closing chan struct{}
	closeMu sync.Mutex
	closed  bool
}

const loopClosedBit = int64(1) << 62

// closeCancelInterval paces Close's repeated cancel-all rounds.
const closeCancelInterval = 5 * time.Millisecond

// New builds a Loop. With Backend "" any failure to set up io_uring falls
// back to syscalls, a transient one (ENOMEM, EMFILE: the locked-memory or fd
// limit) as well as a refusal (ENOSYS, EPERM): a loop that works beats an
// error, and FallbackReason keeps the cause. With Backend "uring" the error
// is returned, wrapping ErrUnavailable.
func New(cfg Config) (*Loop, error) {
	l := &Loop{drained: make(chan struct{}), closing: make(chan struct{})}
	l.stripes = make([]counters, runtime.GOMAXPROCS(0))
	if !cfg.RingMetadata {
		l.directLimit = int32(runtime.GOMAXPROCS(0))
	}
	switch cfg.Backend {
	case BackendSyscall:
		l.backend = BackendSyscall
		l.reason = errors.New("syscall backend requested")
		return l, nil
	case "", "auto", BackendURing:
	default:
		return nil, fmt.Errorf("uring: unknown backend %q (want %q or %q)", cfg.Backend, BackendURing, BackendSyscall)
	}
	err := l.startURing(cfg)
	if err == nil {
		l.backend = BackendURing
		return l, nil
	}
	if cfg.Backend == BackendURing {
		return nil, fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	l.backend = BackendSyscall
	l.reason = err
	return l, nil
}

func (l *Loop) startURing(cfg Config) error {
	n, eager := cfg.Rings, cfg.Rings
	if n <= 0 {
		n, eager = runtime.GOMAXPROCS(0), 1
	}
	l.entries = cfg.Entries
	if l.entries == 0 {
		l.entries = 512
	}
	l.shards = make([]atomic.Pointer[shard], n)
	fail := func(err error) error {
		l.each(func(s *shard) { s.close() })
		l.shards, l.first = nil, nil
		l.firstFree.Store(false)
		return err
	}
	for i := 0; i < eager; i++ {
		s, err := newShard(l, l.entries)
		if err != nil {
			return fail(err)
		}
		if i == 0 {
			l.first = s
		}
		if cfg.Rings > 0 {
			l.shards[i].Store(s)
		} else {
			l.firstFree.Store(true)
		}
	}
	p, err := l.first.r.Probe()
	if err != nil {
		return fail(fmt.Errorf("io_uring probe: %w", err))
	}
	l.probe = p
	return nil
}

// each calls f for every ring set up so far.
func (l *Loop) each(f func(*shard)) {
	if l.firstFree.Load() {
		f(l.first)
	}
	for i := range l.shards {
		if s := l.shards[i].Load(); s != nil {
			f(s)
		}
	}
}

// Backend returns BackendURing or BackendSyscall.
func (l *Loop) Backend() string { return l.backend }

// FallbackReason says why the syscall backend is in use, or nil on io_uring.
func (l *Loop) FallbackReason() error { return l.reason }

// Rings returns the number of rings set up so far (0 on the syscall
// backend).
func (l *Loop) Rings() int {
	n := 0
	l.each(func(*shard) { n++ })
	return n
}

// MaxRings returns the number of rings the loop may set up (0 on the
// syscall backend).
func (l *Loop) MaxRings() int { return len(l.shards) }

// Supported reports whether the running kernel's io_uring supports op; on the
// syscall backend it reports false.
func (l *Loop) Supported(op ring.Opcode) bool { return l.probe.Supported(op) }

// admit lets a call into the loop: it fails with ctx's error if ctx is
// already done, and with ErrClosed once Close has begun. An admitted call
// must leave.
func (l *Loop) admit(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return l.enter()
}

func (l *Loop) enter() error {
	for {
		s := l.state.Load()
		if s&loopClosedBit != 0 {
			return ErrClosed
		}
		if l.state.CompareAndSwap(s, s+1) {
			return nil
		}
	}
}

func (l *Loop) leave() {
	if l.state.Add(-1) == loopClosedBit {
		close(l.drained)
	}
}

// Close stops the loop. Operations in flight are cancelled where the kernel
// can cancel them, and Close waits until every call has returned, then joins
// the ring workers and unmaps the rings. Operations started afterwards fail
// with ErrClosed, except a lone CLOSE, which runs as close(2) so that no
// descriptor is leaked. Close is idempotent.
func (l *Loop) Close() error {
	l.closeMu.Lock()
	defer l.closeMu.Unlock()
	if l.closed {
		return nil
	}
	l.closed = true
	close(l.closing)
	if l.state.Add(loopClosedBit) != loopClosedBit {
		// One cancel-all is not enough: a call already inside the loop may
		// publish its SQEs after it (a Flight's feeder taking slots that the
		// cancelled ops just freed). Repeat until the last call has left;
		// each round cancels whatever reached the ring since the previous.
		tick := time.NewTicker(closeCancelInterval)
		defer tick.Stop()
	drain:
		for {
			l.each((*shard).cancelAll)
			select {
			case <-l.drained:
				break drain
			case <-tick.C:
			}
		}
	}
	var errs []error
	l.setUpMu.Lock() // no ring is being set up
	l.each(func(s *shard) {
		if err := s.close(); err != nil {
			errs = append(errs, err)
		}
	})
	l.setUpMu.Unlock()
	return errors.Join(errs...)
}

// Do runs op and waits for its completion; op.Res holds the result. The
// returned error is not the op's: it is ErrClosed, a context error when ctx
// was done before the op completed (then op.Res is -ECANCELED or -EINTR),
// or an argument error.
func (l *Loop) Do(ctx context.Context, op *Op) error {
	ops := [1]*Op{op}
	return l.Chain(ctx, ops[:])
}

// Chain runs ops as one linked chain (IOSQE_IO_LINK): each starts after the
// previous one succeeded, and a failure completes the rest with -ECANCELED.
// It waits for every op of the chain. The error is as for Do.
func (l *Loop) Chain(ctx context.Context, ops []*Op) error {
	if len(ops) == 0 {
		return nil
	}
	for _, op := range ops {
		if !known(op.Code) {
			return fmt.Errorf("uring: opcode %v not supported by the loop", op.Code)
		}
		if err := op.prepare(); err != nil {
			op.Res = -int32(unix.EINVAL)
			return nil
		}
	}
	if err := l.admit(ctx); err != nil {
		if err == ErrClosed && len(ops) == 1 && ops[0].Code == ring.OpClose {
			// Refusing a close would leak the descriptor: a file opened
			// before the loop was closed (CloseDefault) must still be
			// closable. close(2) needs no ring.
			return runChain(ctx, ops)
		}
		return err
	}
	defer l.leave()
	l.ctr().ops.Add(uint64(len(ops)))
	if l.backend == BackendSyscall || !l.allSupported(ops) {
		if l.backend == BackendURing {
			l.countFallbacks(ops)
		}
		return runChain(ctx, ops)
	}
	return l.shardHere().submit(ctx, ops)
}

func (l *Loop) allSupported(ops []*Op) bool {
	for _, op := range ops {
		if !l.probe.Supported(op.Code) {
			return false
		}
	}
	return true
}

// ErrStarted is returned by SetDefault once the default loop has started.
var ErrStarted = errors.New("uring: the default loop has already started")

// DefaultConfig is the configuration of the default loop that SetDefault
// records: a Config whose zero fields the environment fills in, and a
// function told when the loop falls back.
type DefaultConfig struct {
	Config
	// OnFallback, if not nil, is called once for each start of the default
	// loop that ends on the syscall backend although the backend asked for
	// was "" or "auto", with the reason (Loop.FallbackReason). It runs on
	// the goroutine whose call started the loop, before that call goes on,
	// and outside any lock: it may call Default.
	OnFallback func(reason error)
}

// defaultState is one start of the default loop: the loop, or the error
// that kept it from starting.
type defaultState struct {
	loop *Loop
	err  error
}

var (
	// defaultMu orders starts, closes and configuration of the default
	// loop; Default's fast path is the one load of defaultCur.
	defaultMu  sync.Mutex
	defaultCur atomic.Pointer[defaultState] // nil before the first start and after CloseDefault
	defaultSet *DefaultConfig               // from SetDefault; nil: the environment alone
)

// SetDefault records the configuration the default loop is built from the
// next time it starts. It fails with ErrStarted while the default loop is
// running (between its first use and CloseDefault), and rejects an unknown
// backend or a negative number of rings at once. A later call replaces an
// earlier one.
//
// The configuration wins over the environment field by field: a zero field
// (Backend "", Rings 0, RingMetadata false) is filled in from
// URINGFS_BACKEND, URINGFS_RINGS and URINGFS_METADATA as Default describes.
func SetDefault(cfg DefaultConfig) error {
	switch cfg.Backend {
	case "", "auto", BackendURing, BackendSyscall:
	default:
		return fmt.Errorf("uring: unknown backend %q (want \"auto\", %q or %q)", cfg.Backend, BackendURing, BackendSyscall)
	}
	if cfg.Rings < 0 {
		return fmt.Errorf("uring: %d rings: want 0 (the default) or more", cfg.Rings)
	}
	defaultMu.Lock()
	defer defaultMu.Unlock()
	if defaultCur.Load() != nil {
		return ErrStarted
	}
	defaultSet = &cfg
	return nil
}

// Default returns the process-wide loop, built on first use from the
// configuration SetDefault recorded, whose zero fields the environment
// fills in: URINGFS_BACKEND ("", "auto", "uring" or "syscall"),
// URINGFS_RINGS (number of rings) and URINGFS_METADATA ("ring" sends every
// metadata op to the ring, see Config.RingMetadata). With backend "uring"
// and io_uring unavailable, it returns the reason instead of falling back.
// Every call returns the same loop, or the same error, until CloseDefault;
// the next call after that builds a new one.
func Default() (*Loop, error) {
	if s := defaultCur.Load(); s != nil {
		return s.loop, s.err
	}
	return startDefault()
}

// Running returns the default loop if it has started (and not been closed
// since), without starting one; nil otherwise.
func Running() *Loop {
	if s := defaultCur.Load(); s != nil {
		return s.loop
	}
	return nil
}

func startDefault() (*Loop, error) {
	defaultMu.Lock()
	if s := defaultCur.Load(); s != nil {
		defaultMu.Unlock()
		return s.loop, s.err
	}
	cfg, err := defaultConfig()
	s := &defaultState{err: err}
	if err == nil {
		s.loop, s.err = New(cfg.Config)
	}
	defaultCur.Store(s)
	defaultMu.Unlock()
	if s.loop != nil && s.loop.backend == BackendSyscall && cfg.Backend != BackendSyscall && cfg.OnFallback != nil {
		cfg.OnFallback(s.loop.reason)
	}
	return s.loop, s.err
}

// defaultConfig is SetDefault's configuration with its zero fields taken
// from the environment. defaultMu is held.
func defaultConfig() (DefaultConfig, error) {
	var cfg DefaultConfig
	if defaultSet != nil {
		cfg = *defaultSet
	}
	if cfg.Backend == "" {
		cfg.Backend = os.Getenv("URINGFS_BACKEND")
	}
	if !cfg.RingMetadata {
		cfg.RingMetadata = os.Getenv("URINGFS_METADATA") == "ring"
	}
	if s := os.Getenv("URINGFS_RINGS"); s != "" && cfg.Rings == 0 {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			return cfg, fmt.Errorf("uring: URINGFS_RINGS=%q: want a positive number", s)
		}
		cfg.Rings = n
	}
	return cfg, nil
}

// CloseDefault closes the default loop, as Loop.Close does, and forgets
// it (and the error that kept it from starting, if one did): the next
// Default builds a new loop, from the configuration in effect then. Calls
// that hold the old loop fail with ErrClosed. With no default loop running
// it does nothing.
func CloseDefault() error {
	defaultMu.Lock()
	s := defaultCur.Swap(nil)
	defaultMu.Unlock()
	if s == nil || s.loop == nil {
		return nil
	}
	return s.loop.Close()
}
