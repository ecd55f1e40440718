package main

// readFileMethod describes how the readfile workload reads a file.
func readFileMethod() string {
	return "open + ReadAt + Close per file through each API (uringfs has no ReadFile in this build)"
}
