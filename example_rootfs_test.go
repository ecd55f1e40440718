package uring_test

import (
	"errors"
	"fmt"
	"io/fs"
	"log"
	"os"
	"path/filepath"

	"github.com/spf13/afero"

	"github.com/uringfs/uring"
)

// Hand a directory to names you do not trust: a symbolic link planted
// inside that leads out is refused when followed, and so is a name that
// climbs out with "..", where afero.NewBasePathFs would follow the one and
// let "../uploads-private/..." through its prefix check.
func ExampleNewRootFs() {
	top, err := os.MkdirTemp("", "uring-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(top)
	uploads := filepath.Join(top, "uploads")
	if err := os.Mkdir(uploads, 0o755); err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(top, "secret"), []byte("do not serve"), 0o600); err != nil {
		log.Fatal(err)
	}

	fsys, err := uring.NewRootFs(uploads)
	if err != nil {
		log.Fatal(err)
	}
	defer fsys.Close()

	// Inside, it is used as BasePathFs(OsFs, uploads) is: "/" is the root.
	if err := fsys.MkdirAll("/user1", 0o755); err != nil {
		log.Fatal(err)
	}
	if err := afero.WriteFile(fsys, "/user1/avatar.png", []byte("png"), 0o644); err != nil {
		log.Fatal(err)
	}
	data, err := afero.ReadFile(fsys, "user1/avatar.png")
	fmt.Printf("%s %v\n", data, err)

	// A link may be created to anywhere, as with os.Root; following one
	// that leads out is refused.
	if err := fsys.SymlinkIfPossible("../../secret", "/user1/innocent.png"); err != nil {
		log.Fatal(err)
	}
	_, err = afero.ReadFile(fsys, "/user1/innocent.png")
	var pe *fs.PathError
	if errors.As(err, &pe) {
		fmt.Println(pe.Op, pe.Err)
	}

	// So is a name that climbs out.
	_, err = fsys.Open("../secret")
	fmt.Println(err)

	// Output:
	// png <nil>
	// open path escapes from parent
	// open ../secret: path escapes from parent
}
