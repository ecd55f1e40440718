package p

import (
	"net"
	"os"
	"os/exec"
)

func extra(name string) error {
	f, err := os.Open(name)
	if err != nil {
		return err
	}
	cmd := exec.Command("cat")
	cmd.ExtraFiles = []*os.File{f}
	return cmd.Run()
}

func stdin(name string) error {
	in, err := os.Open(name)
	if err != nil {
		return err
	}
	cmd := exec.Command("cat")
	cmd.Stdin = in
	return cmd.Run()
}

func stdout(name string) *exec.Cmd {
	out, _ := os.Create(name)
	return &exec.Cmd{Path: "/bin/true", Stdout: out}
}

func foreign(name string) (net.Conn, error) {
	sock, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	return net.FileConn(sock)
}

func std(name string) {
	w, _ := os.Create(name)
	if name == "-" {
		w = os.Stdout
	}
	w.Close()
}

func compare(name string) bool {
	c, _ := os.Open(name)
	return c == os.Stdin
}

func slice(name string) []*os.File {
	s, _ := os.Open(name)
	return []*os.File{s}
}

func chans(name string, ch chan *os.File) {
	sent, _ := os.Open(name)
	ch <- sent
}

func keys(name string, m map[*os.File]bool) {
	k, _ := os.Open(name)
	m[k] = true
}

func address(name string) {
	ad, _ := os.Open(name)
	p := &ad
	_ = p
}

func value(name string) {
	v, _ := os.Open(name)
	use(v)
}

func use(f *os.File) { f.Close() }

var callback = use

func literal(name string) {
	lit, _ := os.Open(name)
	func(f *os.File) { f.Close() }(lit)
}

var _, _, _, _, _, _, _, _, _, _, _, _ = extra, stdin, stdout, foreign, std, compare, slice, chans, keys, address, value, literal
