// Command teaphone is a terminal SIP softphone.
//
// This build carries the SIP message layer and the foundations of the
// engine; the user-facing subcommands (the TUI, `teaphone demo`,
// `teaphone agent`) are not wired in yet. Until then the binary prints help
// and its version, and says plainly that the rest is still to come.
package main

import (
	"fmt"
	"io"
	"os"
	"runtime/debug"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = ""

const usage = `teaphone — a terminal SIP softphone

Usage:
  teaphone [command]

Commands:
  help       show this help
  version    print the version

Not in this build yet (coming with the next milestones):
  teaphone           the full-screen softphone (with no config: an offline demo)
  teaphone demo      the offline demo against an in-process echo peer
  teaphone agent     the headless agent: line commands on stdin, JSON events on stdout
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	cmd := ""
	if len(args) > 0 {
		cmd = args[0]
	}
	switch cmd {
	case "", "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	case "version", "-version", "--version":
		fmt.Fprintf(stdout, "teaphone %s\n", buildVersion())
		return 0
	case "demo", "agent":
		fmt.Fprintf(stderr, "teaphone: %q is not available in this build yet\n", cmd)
		return 2
	default:
		fmt.Fprintf(stderr, "teaphone: unknown command %q\n\n%s", cmd, usage)
		return 2
	}
}

func buildVersion() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		if bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			return bi.Main.Version
		}
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				return "dev-" + s.Value[:12]
			}
		}
	}
	return "dev"
}
