// Command testsum reads `go test -json` on stdin and prints what a person
// needs: one line per package like plain `go test`, the full output of every
// failing test, the names of skipped tests with their reason, and a closing
// "N passed, N failed, N skipped" line. It exits 1 when anything failed.
//
// With -counts FILE it also writes "passed failed skipped" to FILE so the
// test script can add its other checks to the final tally.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"sort"
	"strings"
)

type event struct {
	Action  string
	Package string
	Test    string
	Elapsed float64
	Output  string
}

func main() {
	countsFile := flag.String("counts", "", "write 'passed failed skipped' to this file")
	flag.Parse()

	var passed, failed, skipped int
	var failedPkgs int
	output := map[string]*strings.Builder{} // package/test -> output
	var skips []string

	sc := bufio.NewScanner(os.Stdin)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		line := sc.Bytes()
		var ev event
		if err := json.Unmarshal(line, &ev); err != nil {
			// Build errors and other non-JSON lines go through unchanged.
			fmt.Println(string(line))
			continue
		}
		key := ev.Package + "\x00" + ev.Test
		switch ev.Action {
		case "output":
			b := output[key]
			if b == nil {
				b = &strings.Builder{}
				output[key] = b
			}
			if b.Len() < 1<<20 {
				b.WriteString(ev.Output)
			}
		case "pass", "fail", "skip":
			if ev.Test == "" {
				switch ev.Action {
				case "pass":
					fmt.Printf("ok  \t%s\t%.3fs\n", ev.Package, ev.Elapsed)
				case "skip":
					fmt.Printf("?   \t%s\t[no test files]\n", ev.Package)
				case "fail":
					failedPkgs++
					if b := output[key]; b != nil {
						fmt.Print(b.String())
					}
					fmt.Printf("FAIL\t%s\t%.3fs\n", ev.Package, ev.Elapsed)
				}
				delete(output, key)
				continue
			}
			switch ev.Action {
			case "pass":
				passed++
			case "fail":
				failed++
				if b := output[key]; b != nil {
					fmt.Print(b.String())
				}
			case "skip":
				skipped++
				reason := ""
				if b := output[key]; b != nil {
					for _, l := range strings.Split(b.String(), "\n") {
						l = strings.TrimSpace(l)
						if l != "" && !strings.HasPrefix(l, "=== ") && !strings.HasPrefix(l, "--- SKIP") {
							reason = l
						}
					}
				}
				skips = append(skips, fmt.Sprintf("%s %s: %s", ev.Package, ev.Test, reason))
			}
			delete(output, key)
		}
	}
	if err := sc.Err(); err != nil {
		fmt.Fprintln(os.Stderr, "testsum:", err)
		os.Exit(2)
	}
	if len(skips) > 0 {
		sort.Strings(skips)
		fmt.Println("skipped tests:")
		for _, s := range skips {
			fmt.Println("  " + s)
		}
	}
	if failedPkgs > 0 && failed == 0 {
		failed = failedPkgs // a package that failed to build or panicked outside a test
	}
	fmt.Printf("go test: %d passed, %d failed, %d skipped\n", passed, failed, skipped)
	if *countsFile != "" {
		if err := os.WriteFile(*countsFile, fmt.Appendf(nil, "%d %d %d\n", passed, failed, skipped), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "testsum:", err)
			os.Exit(2)
		}
	}
	if failed > 0 || failedPkgs > 0 {
		os.Exit(1)
	}
}
