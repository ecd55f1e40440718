package main

import (
	"fmt"
	"html"
	"io"
	"math"
	"os"
	"slices"
	"strings"
)

// The chart is plain SVG written by hand: one panel per workload, stacked
// top to bottom; in each panel a group of bars per goroutine count and one
// bar per engine in the group, its height the median IOPS on a linear axis
// that starts at zero (so bar lengths compare honestly), the value written
// above the bar and, for engines other than os, the ratio to os under it;
// a bar's tooltip also gives its ratio to fio where fio ran.
// Whiskers show the min-max range over the rounds.

// Chart geometry, in SVG user units (pixels at 100%).
const (
	chartWidth   = 760
	panelHeight  = 260
	panelTop     = 62 // title and legend above the first panel
	plotLeft     = 70 // room for the y-axis labels
	plotRight    = 20
	plotTop      = 34 // panel title above the plot
	plotBottom   = 50 // x labels and axis title below the plot
	yTicks       = 5
	groupPadding = 0.2 // share of a group's width left empty
)

// engineColors are fixed per engine so that charts of different runs read
// the same way; unknown engines get grey.
var engineColors = map[string]string{
	engineOS:      "#7f7f7f",
	engineUring:   "#1f77b4",
	engineSyscall: "#ff7f0e",
	engineFio:     "#2ca02c",
}

func engineColor(e string) string {
	if c, ok := engineColors[e]; ok {
		return c
	}
	return "#bbbbbb"
}

// writeChartFile writes the chart of rows to path.
func writeChartFile(path string, rep *report) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := writeChart(f, rep); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// chartPanel is one workload's rows, grouped by goroutine count.
type chartPanel struct {
	workload string
	counts   []int
	engines  []string
	rows     map[rowKey]summary
}

func chartPanels(rows []summary) []chartPanel {
	var panels []chartPanel
	for _, s := range rows {
		if s.Rounds == 0 || s.IOPS <= 0 {
			continue // a failed row has nothing to draw; the table says why
		}
		i := slices.IndexFunc(panels, func(p chartPanel) bool { return p.workload == s.Workload })
		if i < 0 {
			panels = append(panels, chartPanel{workload: s.Workload, rows: map[rowKey]summary{}})
			i = len(panels) - 1
		}
		p := &panels[i]
		if !slices.Contains(p.counts, s.Goroutines) {
			p.counts = append(p.counts, s.Goroutines)
		}
		if !slices.Contains(p.engines, s.Engine) {
			p.engines = append(p.engines, s.Engine)
		}
		p.rows[rowKey{s.Workload, s.Goroutines, s.Engine}] = s
	}
	for i := range panels {
		slices.Sort(panels[i].counts)
		slices.SortStableFunc(panels[i].engines, func(a, b string) int { return engineRank(a) - engineRank(b) })
	}
	return panels
}

// niceMax rounds v up to 1, 2, 2.5 or 5 times a power of ten, so the axis
// ticks fall on round numbers.
func niceMax(v float64) float64 {
	if v <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if m*p >= v {
			return m * p
		}
	}
	return 10 * p
}

// writeChart writes the SVG document for rep.
func writeChart(w io.Writer, rep *report) error {
	panels := chartPanels(rep.Rows)
	height := panelTop + panelHeight*max(len(panels), 1) + 10
	var b strings.Builder
	fmt.Fprintf(&b, `<?xml version="1.0" encoding="UTF-8"?>`+"\n")
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="11">`+"\n",
		chartWidth, height, chartWidth, height)
	fmt.Fprintf(&b, `<rect x="0" y="0" width="%d" height="%d" fill="white"/>`+"\n", chartWidth, height)
	m := rep.Machine
	fmt.Fprintf(&b, `<text x="10" y="18" font-size="13" font-weight="bold">uringbench: IOPS per goroutine count and engine</text>`+"\n")
	sub := fmt.Sprintf("median of the rounds, whiskers min-max, ratio to os under each bar; %s, %d CPUs, load %.2f at start", m.GoVersion, m.NumCPU, m.LoadStart)
	fmt.Fprintf(&b, `<text x="10" y="34" font-size="10" fill="#444">%s</text>`+"\n", esc(sub))

	// One legend for all panels: every engine that appears anywhere.
	var engines []string
	for _, p := range panels {
		for _, e := range p.engines {
			if !slices.Contains(engines, e) {
				engines = append(engines, e)
			}
		}
	}
	slices.SortStableFunc(engines, func(a, b string) int { return engineRank(a) - engineRank(b) })
	b.WriteString(`<g class="legend">` + "\n")
	for i, e := range engines {
		x := plotLeft + i*110
		fmt.Fprintf(&b, `<rect x="%d" y="42" width="12" height="12" fill="%s"/><text x="%d" y="52">%s</text>`+"\n", x, engineColor(e), x+16, esc(e))
	}
	b.WriteString("</g>\n")
	if len(panels) == 0 {
		fmt.Fprintf(&b, `<text x="%d" y="%d">no successful results to draw</text>`+"\n", plotLeft, panelTop+40)
	}
	for i, p := range panels {
		writePanel(&b, p, panelTop+i*panelHeight)
	}
	b.WriteString("</svg>\n")
	_, err := io.WriteString(w, b.String())
	return err
}

func writePanel(b *strings.Builder, p chartPanel, top int) {
	x0, x1 := float64(plotLeft), float64(chartWidth-plotRight)
	y0, y1 := float64(top+plotTop), float64(top+panelHeight-plotBottom) // y1 is the axis (zero)
	hi := 0.0
	for _, s := range p.rows {
		hi = max(hi, s.MaxIOPS, s.IOPS)
	}
	// Headroom for the value labels above the tallest bar.
	ymax := niceMax(hi * 1.08)
	yOf := func(v float64) float64 { return y1 - (y1-y0)*v/ymax }

	fmt.Fprintf(b, `<g class="panel" data-workload="%s">`+"\n", esc(p.workload))
	fmt.Fprintf(b, `<text x="%g" y="%d" font-size="12" font-weight="bold">%s</text>`+"\n", x0, top+plotTop-12, esc(p.workload))
	// Y axis with gridlines and labels.
	for t := 0; t <= yTicks; t++ {
		v := ymax * float64(t) / yTicks
		y := yOf(v)
		fmt.Fprintf(b, `<line x1="%g" y1="%.1f" x2="%g" y2="%.1f" stroke="#e0e0e0"/>`, x0, y, x1, y)
		fmt.Fprintf(b, `<text x="%g" y="%.1f" text-anchor="end">%s</text>`+"\n", x0-6, y+4, esc(fmtCount(v)))
	}
	fmt.Fprintf(b, `<line x1="%g" y1="%g" x2="%g" y2="%g" stroke="black"/>`, x0, y0, x0, y1)
	fmt.Fprintf(b, `<line x1="%g" y1="%g" x2="%g" y2="%g" stroke="black"/>`+"\n", x0, y1, x1, y1)
	fmt.Fprintf(b, `<text transform="translate(14 %.1f) rotate(-90)" text-anchor="middle">IOPS</text>`+"\n", (y0+y1)/2)
	fmt.Fprintf(b, `<text x="%.1f" y="%g" text-anchor="middle">goroutines</text>`+"\n", (x0+x1)/2, y1+40)

	gw := (x1 - x0) / float64(len(p.counts))
	bw := gw * (1 - groupPadding) / float64(len(p.engines))
	for gi, g := range p.counts {
		gx := x0 + gw*float64(gi) + gw*groupPadding/2
		fmt.Fprintf(b, `<text x="%.1f" y="%g" text-anchor="middle">%d</text>`+"\n", x0+gw*(float64(gi)+0.5), y1+16, g)
		for ei, e := range p.engines {
			s, ok := p.rows[rowKey{p.workload, g, e}]
			if !ok {
				continue
			}
			bx := gx + bw*float64(ei)
			by := yOf(s.IOPS)
			title := fmt.Sprintf("%s g=%d %s: %s IOPS", p.workload, g, e, fmtCount(s.IOPS))
			if e != engineFio && s.RatioFio > 0 {
				title += fmt.Sprintf(", %.2fx fio", s.RatioFio)
			}
			fmt.Fprintf(b, `<rect class="bar" data-engine="%s" data-goroutines="%d" data-iops="%.0f" x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"><title>%s</title></rect>`+"\n",
				esc(e), g, s.IOPS, bx+1, by, bw-2, y1-by, engineColor(e), esc(title))
			cx := bx + bw/2
			if s.MaxIOPS > s.MinIOPS {
				fmt.Fprintf(b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="black"/>`+"\n", cx, yOf(s.MinIOPS), cx, yOf(s.MaxIOPS))
			}
			label := fmtCount(s.IOPS)
			fmt.Fprintf(b, `<text x="%.1f" y="%.1f" text-anchor="middle" font-size="10">%s</text>`+"\n", cx, min(by, yOf(s.MaxIOPS))-3, esc(label))
			if e != engineOS && s.RatioOS > 0 {
				fmt.Fprintf(b, `<text x="%.1f" y="%g" text-anchor="middle" font-size="9" fill="#444">%.2fx</text>`+"\n", cx, y1+28, s.RatioOS)
			}
		}
	}
	b.WriteString("</g>\n")
}

func esc(s string) string { return html.EscapeString(s) }
