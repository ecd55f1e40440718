// Command lines counts the words of each line of its input, or upper-cases
// the lines with -u. It reads the file named by its argument, or standard
// input if there is none or it is "-", and writes to standard output, or to
// the file named by -o. An interrupt stops it: what it has done so far is
// written out, with a note, and it exits with status 130.
//
// It is written against package os; compat's TestCommandLineProgram builds
// it as it is and with its import of os changed to compat, and compares the
// two.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"sync"
)

func main() {
	out := flag.String("o", "-", "write to `file` (- for standard output)")
	upper := flag.Bool("u", false, "upper-case the lines instead of counting words")
	flag.Parse()
	if flag.NArg() > 1 {
		fmt.Fprintln(os.Stderr, "usage: lines [-u] [-o file] [file]")
		os.Exit(2)
	}
	prefix := os.Getenv("LINES_PREFIX")

	var in *os.File = os.Stdin
	if name := flag.Arg(0); name != "" && name != "-" {
		f, err := os.Open(name)
		if err != nil {
			fmt.Fprintln(os.Stderr, "lines:", err)
			os.Exit(1)
		}
		defer f.Close()
		in = f
	}
	var w *os.File = os.Stdout
	if *out != "-" {
		var err error
		w, err = os.Create(*out)
		if err != nil {
			fmt.Fprintln(os.Stderr, "lines:", err)
			os.Exit(1)
		}
	}
	bw := bufio.NewWriter(w)

	// mu keeps the interrupt's flush from racing the main loop's writes.
	var mu sync.Mutex
	n, words := 0, 0
	finish := func(code int, note string) {
		mu.Lock()
		if note != "" {
			fmt.Fprintf(bw, "%s%s after %d lines\n", prefix, note, n)
		}
		fmt.Fprintf(bw, "%stotal %d lines %d words\n", prefix, n, words)
		err := bw.Flush()
		if cerr := w.Close(); err == nil && w != os.Stdout {
			err = cerr
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "lines:", err)
			code = 1
		}
		os.Exit(code)
	}
	c := make(chan os.Signal, 1)
	signal.Notify(c, os.Interrupt)
	go func() {
		<-c
		fmt.Fprintln(os.Stderr, "lines: interrupted")
		finish(130, "interrupted")
	}()

	// Reading a terminal or pipe, show each line as it is done.
	interactive := in == os.Stdin
	if fi, err := in.Stat(); err == nil && fi.Mode().IsRegular() {
		interactive = false
	}
	sc := bufio.NewScanner(in)
	for sc.Scan() {
		line := sc.Text()
		mu.Lock()
		n++
		words += len(strings.Fields(line))
		if *upper {
			fmt.Fprintf(bw, "%s%s\n", prefix, strings.ToUpper(line))
		} else {
			fmt.Fprintf(bw, "%s%d %d\n", prefix, n, len(strings.Fields(line)))
		}
		if interactive {
			bw.Flush()
		}
		mu.Unlock()
	}
	if err := sc.Err(); err != nil {
		fmt.Fprintln(os.Stderr, "lines:", err)
		finish(1, "")
	}
	finish(0, "")
}
