//go:build windows

package p

import "os"

func stdConfig() *os.File {
	f, _ := openConfig("c")
	if f == nil {
		return os.Stdin
	}
	return f
}
