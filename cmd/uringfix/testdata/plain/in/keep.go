package p

import (
	"fmt"
	"os"
)

// home keeps os for Getenv and O_RDONLY, which uringfs does not have.
func home() (string, error) {
	fi, err := os.Lstat(os.Getenv("HOME"))
	if err != nil {
		return "", err
	}
	return fmt.Sprint(fi.Name(), os.O_RDONLY), nil
}

var _, _ = setup, home
