package p

import "github.com/uringfs/uring/uringfs"

// setup uses only os functions with the same signature in uringfs: every
// use moves, and the import of os goes.
func setup(dir string) ([]string, error) {
	if err := uringfs.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	if err := uringfs.WriteFile(dir+"/a", []byte("a"), 0o644); err != nil {
		return nil, err
	}
	if _, err := uringfs.Stat(dir + "/a"); err != nil {
		return nil, err
	}
	if err := uringfs.Rename(dir+"/a", dir+"/b"); err != nil {
		return nil, err
	}
	tmp, err := uringfs.MkdirTemp(dir, "t")
	if err != nil {
		return nil, err
	}
	defer uringfs.RemoveAll(tmp)
	read := uringfs.ReadFile // a function value moves too
	if _, err := read(dir + "/b"); err != nil {
		return nil, err
	}
	entries, err := uringfs.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	_ = uringfs.DirFS(dir)
	return names, uringfs.Remove(dir + "/b")
}
