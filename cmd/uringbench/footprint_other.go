//go:build !linux

package main

import (
	"errors"
	"fmt"
	"io"
)

const footprintChildFlag = "-footprint-child"

// runFootprint reads /proc, which only Linux has.
func runFootprint(dir string, stdout, stderr io.Writer) error {
	return errors.New("-footprint reads /proc and runs on Linux only")
}

func footprintChild(args []string, stdout, stderr io.Writer) int {
	fmt.Fprintln(stderr, "uringbench: -footprint-child runs on Linux only")
	return 2
}
