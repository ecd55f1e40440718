package p

import (
	"bufio"
	"fmt"
	"os"
)

// logger holds its file in an unexported field.
type logger struct {
	out  *os.File
	name string
}

func newLogger(name string) (*logger, error) {
	f, err := openLog(name)
	if err != nil {
		return nil, err
	}
	return &logger{out: f, name: name}, nil
}

// openLog returns an *os.File that only reaches code that takes any file.
func openLog(name string) (*os.File, error) {
	return os.OpenFile(name, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
}

func (l *logger) printf(format string, args ...any) {
	w := bufio.NewWriter(l.out)
	fmt.Fprintf(w, format, args...)
	w.Flush()
}

func (l *logger) close() error {
	return l.out.Close()
}

// both takes two files declared together: they move together.
func both(a, b *os.File) error {
	if err := a.Sync(); err != nil {
		return err
	}
	return b.Sync()
}

func pair(x, y string) error {
	a, err := os.Create(x)
	if err != nil {
		return err
	}
	b, err := os.Create(y)
	if err != nil {
		return err
	}
	return both(a, b)
}

var _, _ = newLogger, pair
