package compat

import "github.com/uringfs/uring/uringfs"

// Root gives access to the files beneath one directory and no others, like
// os.Root. See uringfs.Root.
type Root = uringfs.Root

// OpenRoot opens the named directory as a Root, like os.OpenRoot.
func OpenRoot(name string) (*Root, error) { return uringfs.OpenRoot(name) }

// OpenInRoot opens name beneath dir for reading, refusing to leave dir, like
// os.OpenInRoot.
func OpenInRoot(dir, name string) (*File, error) { return uringfs.OpenInRoot(dir, name) }
