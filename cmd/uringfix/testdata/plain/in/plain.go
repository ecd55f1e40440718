package p

import "os"

// setup uses only os functions with the same signature in uringfs: every
// use moves, and the import of os goes.
func setup(dir string) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	if err := os.WriteFile(dir+"/a", []byte("a"), 0o644); err != nil {
		return nil, err
	}
	if _, err := os.Stat(dir + "/a"); err != nil {
		return nil, err
	}
	if err := os.Rename(dir+"/a", dir+"/b"); err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp(dir, "t")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	read := os.ReadFile // a function value moves too
	if _, err := read(dir + "/b"); err != nil {
		return nil, err
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	_ = os.DirFS(dir)
	return names, os.Remove(dir + "/b")
}
