// What a run reports: the result of planting one bug, its one-line
// verdict, the -list check of the entries, and the closing summary whose
// exit status says whether every bug was caught.

package main

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

type result struct {
	id       string
	broken   string   // why the entry could not be run
	caughtBy string   // the configuration that failed
	failures []string // failing tests ("pkg.TestX") or package notes
	took     time.Duration
	log      string
	kept     string
}

func (r *result) what() string {
	const max = 6
	f := r.failures
	s := strings.Join(f[:min(len(f), max)], ", ")
	if len(f) > max {
		s += fmt.Sprintf(" (+%d more)", len(f)-max)
	}
	if s == "" {
		s = "go test failed without naming a test"
	}
	return s
}

func (r *result) line(b *bug) string {
	var s string
	switch {
	case r.broken != "":
		s = fmt.Sprintf("%-26s %-12s BROKEN    %s (%s)", b.id, b.layer, r.broken, round(r.took))
	case r.caughtBy == "":
		s = fmt.Sprintf("%-26s %-12s SURVIVED  no configuration failed (%s)", b.id, b.layer, round(r.took))
	default:
		s = fmt.Sprintf("%-26s %-12s caught    by %s: %s (%s)", b.id, b.layer, r.caughtBy, r.what(), round(r.took))
	}
	if r.kept != "" {
		s += "\n" + strings.Repeat(" ", 27) + "copy kept in " + r.kept
	}
	return s
}

// list prints the bugs and checks that every edit applies to the snapshot.
func list(bugs []*bug, pristine, from string) int {
	bad := 0
	for _, b := range bugs {
		status := "ok"
		for _, e := range b.edits {
			if err := e.check(pristine); err != nil {
				status = "BROKEN: " + err.Error()
				bad++
				break
			}
		}
		var files []string
		for _, e := range b.edits {
			if !slices.Contains(files, e.file) {
				files = append(files, e.file)
			}
		}
		fmt.Printf("%-26s %-12s %s\n  %s\n  %s\n", b.id, b.layer, strings.Join(files, ", "), b.imitates, status)
	}
	fmt.Printf("%d bugs, %d broken (checked against %s)\n", len(bugs), bad, from)
	if bad > 0 {
		return 1
	}
	return 0
}

func summary(results []*result, took time.Duration, logDir string) int {
	var caught, survived, broken []string
	by := map[string]int{}
	for _, r := range results {
		switch {
		case r.broken != "":
			broken = append(broken, r.id)
		case r.caughtBy == "":
			survived = append(survived, r.id)
		default:
			caught = append(caught, r.id)
			by[r.caughtBy]++
		}
	}
	fmt.Printf("\nsummary: %d planted: %d caught, %d survived, %d broken (%s)\n",
		len(results), len(caught), len(survived), len(broken), round(took))
	var parts []string
	for _, c := range allConfigs {
		if by[c.name] > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", c.name, by[c.name]))
		}
	}
	if len(parts) > 0 {
		fmt.Printf("caught by: %s\n", strings.Join(parts, ", "))
	}
	if len(survived) > 0 {
		fmt.Printf("SURVIVORS: %s\n", strings.Join(survived, ", "))
	}
	if len(broken) > 0 {
		fmt.Printf("BROKEN entries: %s\n", strings.Join(broken, ", "))
	}
	fmt.Printf("logs of the failing runs: %s\n", logDir)
	if len(survived) > 0 || len(broken) > 0 {
		return 1
	}
	return 0
}
