package main

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// svgCounts decodes an SVG document with encoding/xml (failing on anything
// that is not well-formed) and counts the bars per panel.
func svgCounts(t *testing.T, doc []byte) (panels []string, bars map[string]int, barEngines map[string][]string) {
	t.Helper()
	dec := xml.NewDecoder(bytes.NewReader(doc))
	bars = map[string]int{}
	barEngines = map[string][]string{}
	var panel string
	sawSVG := false
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("chart is not well-formed XML: %v\n%s", err, doc)
		}
		se, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		attr := func(name string) string {
			for _, a := range se.Attr {
				if a.Name.Local == name {
					return a.Value
				}
			}
			return ""
		}
		switch {
		case se.Name.Local == "svg":
			sawSVG = true
		case se.Name.Local == "g" && attr("class") == "panel":
			panel = attr("data-workload")
			panels = append(panels, panel)
		case se.Name.Local == "rect" && attr("class") == "bar":
			bars[panel]++
			barEngines[panel] = append(barEngines[panel], attr("data-engine")+"/"+attr("data-goroutines"))
		}
	}
	if !sawSVG {
		t.Fatalf("no <svg> element:\n%s", doc)
	}
	return panels, bars, barEngines
}

func fixedReport() *report {
	row := func(w string, g int, e string, iops float64) summary {
		return summary{Workload: w, Goroutines: g, Engine: e, Rounds: 3, IOPS: iops, MinIOPS: iops * 0.9, MaxIOPS: iops * 1.1}
	}
	rows := []summary{
		row(wRandReadDirect, 1, engineOS, 9312), row(wRandReadDirect, 1, engineUring, 8311), row(wRandReadDirect, 1, engineSyscall, 10500),
		row(wRandReadDirect, 32, engineOS, 31900), row(wRandReadDirect, 32, engineUring, 61000), row(wRandReadDirect, 32, engineSyscall, 32500),
		row(wRandReadDirect, 32, engineFio, 51000),
		row(wRandWriteDirect, 32, engineOS, 20000), row(wRandWriteDirect, 32, engineUring, 30000), row(wRandWriteDirect, 32, engineFio, 40000),
		row(wMixed, 32, engineUring, 25000), row(wMixed, 32, engineFio, 50000),
		row(wRandReadHot, 1, engineOS, 776200), row(wRandReadHot, 1, engineUring, 553700),
		row(wRandReadHot, 16, engineOS, 889600), row(wRandReadHot, 16, engineUring, 748500),
		row(wReadFile, 64, engineOS, 75000), row(wReadFile, 64, engineUring, 55300),
		// A failed row has no bar.
		{Workload: wReadFile, Goroutines: 64, Engine: engineSyscall, Errors: []string{"round 1: <boom> & \"quotes\""}},
	}
	for i := range rows {
		if rows[i].Engine != engineOS {
			rows[i].RatioOS = 1.23
		}
	}
	// As summarize sets them: uringfs rows against fio at the same count.
	fio := map[[2]any]float64{}
	for _, r := range rows {
		if r.Engine == engineFio {
			fio[[2]any{r.Workload, r.Goroutines}] = r.IOPS
		}
	}
	for i, r := range rows {
		if f := fio[[2]any{r.Workload, r.Goroutines}]; f > 0 && r.Engine != engineOS {
			rows[i].RatioFio = r.IOPS / f
		}
	}
	return &report{Machine: machineInfo{GoVersion: "go1.26 <test>", NumCPU: 2}, Rows: rows}
}

func TestChartWellFormed(t *testing.T) {
	var buf bytes.Buffer
	if err := writeChart(&buf, fixedReport()); err != nil {
		t.Fatal(err)
	}
	panels, bars, engines := svgCounts(t, buf.Bytes())
	if want := []string{wRandReadDirect, wRandWriteDirect, wMixed, wRandReadHot, wReadFile}; strings.Join(panels, ",") != strings.Join(want, ",") {
		t.Fatalf("panels %q, want %q", panels, want)
	}
	want := map[string]int{wRandReadDirect: 7, wRandWriteDirect: 3, wMixed: 2, wRandReadHot: 4, wReadFile: 2}
	for w, n := range want {
		if bars[w] != n {
			t.Errorf("%s: %d bars (%q), want %d", w, bars[w], engines[w], n)
		}
	}
	// Engines in a group come in the table's order, groups by goroutines.
	if got := strings.Join(engines[wRandReadDirect], " "); got != "os/1 uring/1 syscall/1 os/32 uring/32 syscall/32 fio/32" {
		t.Errorf("randread-direct bar order %q", got)
	}
	if got := strings.Join(engines[wRandWriteDirect], " "); got != "os/32 uring/32 fio/32" {
		t.Errorf("randwrite-direct bar order %q", got)
	}
	// Tooltips give the uringfs bars' ratio to fio; fio's own has none.
	for _, s := range []string{"IOPS", "goroutines", "61.0k", "1.23x", ">fio<",
		"randread-direct g=32 uring: 61.0k IOPS, 1.20x fio<", "randwrite-direct g=32 uring: 30.0k IOPS, 0.75x fio<",
		"mixed g=32 uring: 25.0k IOPS, 0.50x fio<", "mixed g=32 fio: 50.0k IOPS<"} {
		if !strings.Contains(buf.String(), s) {
			t.Errorf("chart lacks %q", s)
		}
	}
}

func TestChartEmpty(t *testing.T) {
	var buf bytes.Buffer
	if err := writeChart(&buf, &report{}); err != nil {
		t.Fatal(err)
	}
	panels, _, _ := svgCounts(t, buf.Bytes())
	if len(panels) != 0 {
		t.Fatalf("panels %q for no rows", panels)
	}
}

func TestNiceMax(t *testing.T) {
	for _, c := range []struct{ in, want float64 }{{0, 1}, {1, 1}, {7, 10}, {9312, 10000}, {61000, 100000}, {889600, 1e6}, {1900, 2000}, {2100, 2500}, {240, 250}, {3100, 5000}} {
		if got := niceMax(c.in); got != c.want {
			t.Errorf("niceMax(%v) = %v, want %v", c.in, got, c.want)
		}
	}
}

// TestChartFlag runs the tool with -chart and checks the file it wrote.
func TestChartFlag(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.svg")
	runTool(t, tiny(dir, "-workloads", "randread-hot", "-engines", "os,uring", "-chart", path)...)
	doc, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	panels, bars, _ := svgCounts(t, doc)
	if len(panels) != 1 || panels[0] != wRandReadHot || bars[wRandReadHot] != 4 {
		t.Fatalf("panels %q bars %v, want one randread-hot panel with 4 bars (2 goroutine counts x 2 engines)", panels, bars)
	}
}
