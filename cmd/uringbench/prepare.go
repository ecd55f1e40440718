package main

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
)

// probeDirect checks that the file system under dir takes O_DIRECT opens and
// reads; tmpfs and some FUSE file systems refuse them with EINVAL.
func probeDirect(dir string, bs int64) error {
	name := filepath.Join(dir, "direct-probe")
	defer os.Remove(name)
	if err := os.WriteFile(name, make([]byte, bs), 0o644); err != nil {
		return err
	}
	if oDirect == 0 {
		return errors.New("no O_DIRECT on " + runtime.GOOS)
	}
	f, err := os.OpenFile(name, os.O_RDONLY|oDirect, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	if _, err := f.ReadAt(alignedBuf(bs), 0); err != nil {
		return err
	}
	return nil
}

// prepare writes the test files the workloads need, outside any measurement.
func (b *bench) prepare(work string, workloads []string) error {
	cfg := b.cfg
	if slices.ContainsFunc(workloads, needsDirect) {
		b.files.Data, b.files.DataSize = filepath.Join(work, "data"), cfg.size/cfg.bs*cfg.bs
		if err := b.writeFile(b.files.Data, b.files.DataSize); err != nil {
			return err
		}
	}
	if slices.Contains(workloads, wRandReadHot) {
		b.files.Hot, b.files.HotSize = filepath.Join(work, "hot"), cfg.hotSize/cfg.bs*cfg.bs
		if err := b.writeFile(b.files.Hot, b.files.HotSize); err != nil {
			return err
		}
		// Read it once so that every page is cached, whatever the writes left.
		if _, err := os.ReadFile(b.files.Hot); err != nil {
			return err
		}
	}
	if slices.Contains(workloads, wSeqRead) {
		// Whole chunks, so that every read is a full one; at least one.
		b.files.SeqRead, b.files.SeqReadSize = filepath.Join(work, "seqread"), max(cfg.size/seqChunk, 1)*seqChunk
		if err := b.writeFile(b.files.SeqRead, b.files.SeqReadSize); err != nil {
			return err
		}
		if _, err := os.ReadFile(b.files.SeqRead); err != nil {
			return err
		}
	}
	if slices.Contains(workloads, wSeqWrite) {
		b.files.SeqDir, b.files.SeqSize = work, cfg.size
	}
	if slices.Contains(workloads, wRandReadCold) {
		// A prefix of the data file is as cold as a file of its own, and
		// saves writing one; the reads stay within ColdSize either way,
		// so the result does not depend on which workloads ran.
		b.files.ColdSize = cfg.coldSize / cfg.bs * cfg.bs
		if b.files.Data != "" && b.files.DataSize >= b.files.ColdSize {
			b.files.Cold = b.files.Data
		} else {
			b.files.Cold = filepath.Join(work, "cold")
			if err := b.writeFile(b.files.Cold, b.files.ColdSize); err != nil {
				return err
			}
		}
	}
	small := false // small files written, to be synced
	if slices.Contains(workloads, wReadFile) || slices.Contains(workloads, wReadFiles) {
		b.files.SmallDir, b.files.SmallCount = filepath.Join(work, "small"), cfg.files
		dir := b.files.SmallDir
		if err := b.writeSmallFiles("small files", cfg.files, cfg.bs, func(i int) string { return smallName(dir, i) }); err != nil {
			return err
		}
		b.prog.done("prepared %d small files of %d bytes in %s", cfg.files, cfg.bs, dir)
		small = true
	}
	if slices.ContainsFunc(workloads, isStatPhase) {
		b.files.StatDir, b.files.StatFiles = filepath.Join(work, "stat"), statDirFiles
		dir := b.files.StatDir
		if err := b.writeSmallFiles("stat files", statDirFiles, cfg.bs, func(i int) string { return smallName(dir, i) }); err != nil {
			return err
		}
		b.prog.done("prepared %d files of %d bytes for the stat ops in %s", statDirFiles, cfg.bs, dir)
		small = true
	}
	if slices.ContainsFunc(workloads, isWalk) {
		b.files.Tree, b.files.TreeFiles = filepath.Join(work, "tree"), cfg.treeFiles
		root := b.files.Tree
		if err := b.writeSmallFiles("tree files", cfg.treeFiles, cfg.bs, func(i int) string { return treeName(root, i) }); err != nil {
			return err
		}
		b.prog.done("prepared a tree of %d files of %d bytes in %d directories in %s", cfg.treeFiles, cfg.bs, treeDirs(cfg.treeFiles), root)
		small = true
	}
	if small {
		// Their pages stay cached, as the workloads want; written back
		// now, they are not written back during a phase.
		if err := syncFS(work); err != nil {
			return err
		}
	}
	return nil
}

// writeSmallFiles writes n files of size bytes, named by name, making their
// directories as it goes. Each file differs from the last in its first byte.
func (b *bench) writeSmallFiles(what string, n int, size int64, name func(i int) string) error {
	data := make([]byte, size)
	dir := ""
	for i := range n {
		if i%100 == 0 {
			b.prog.show("preparing %d %s: %d", n, what, i)
		}
		p := name(i)
		if d := filepath.Dir(p); d != dir {
			if err := os.MkdirAll(d, 0o755); err != nil {
				return err
			}
			dir = d
		}
		data[0] = byte(i)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// writeFile writes size bytes of varied (not compressible, not all zero)
// data and syncs them, so that O_DIRECT reads find them on the device.
func (b *bench) writeFile(name string, size int64) error {
	f, err := os.Create(name)
	if err != nil {
		return err
	}
	buf := make([]byte, 1<<20)
	var x uint64 = 0x9E3779B97F4A7C15
	for i := range buf {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		buf[i] = byte(x)
	}
	for off := int64(0); off < size; off += int64(len(buf)) {
		if off%(16<<20) == 0 {
			b.prog.show("preparing %s: %d/%d MiB", name, off>>20, size>>20)
		}
		copy(buf, strconv.FormatInt(off, 16)) // every MiB differs
		if _, err := f.Write(buf[:min(int64(len(buf)), size-off)]); err != nil {
			f.Close()
			return err
		}
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	b.prog.done("prepared %s: %d MiB", name, size>>20)
	return nil
}
