// Command teaphone is a terminal SIP softphone: a full-screen TUI (the
// default; with no configuration it runs an offline demo), `teaphone demo`,
// and `teaphone agent`, the headless mode with line commands on stdin and
// JSON events on stdout.
//
// main owns the wiring: configuration, logging, the engine (ua) with media
// (internal/callmedia over media/...), history and contacts, and the two
// front ends. It is the only place that sees every part. Once a front end
// is up it hands back the executable's pages only start-up used, and the
// memory a burst of calls grew it to once the burst has drained
// (footprint*.go).
package main

import (
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strings"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = ""

const usage = `teaphone — a terminal SIP softphone

Usage:
  teaphone [-config FILE] [-audio SPEC]   the softphone (no config file: the offline demo)
  teaphone demo [-audio SPEC]             the offline demo: an echo user and a buddy, on loopback
  teaphone agent [flags]                  headless: commands on stdin, JSON events on stdout
  teaphone devices                        list sound devices (names for [audio] input/output)
  teaphone version                        print the version
  teaphone help                           this help

'teaphone agent -h' lists the agent's flags. The configuration lives in
$XDG_CONFIG_HOME/teaphone/config.toml (see config.example.toml).
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	cmd := ""
	if len(args) > 0 {
		cmd = args[0]
	}
	switch {
	case cmd == "help" || cmd == "-h" || cmd == "-help" || cmd == "--help":
		fmt.Fprint(stdout, usage)
		return 0
	case cmd == "version" || cmd == "-version" || cmd == "--version":
		fmt.Fprintf(stdout, "teaphone %s\n", buildVersion())
		return 0
	case cmd == "devices":
		return cmdDevices(stdout, stderr)
	case cmd == "agent":
		return cmdAgent(args[1:], stdin, stdout, stderr, os.Getenv)
	case cmd == "demo":
		return cmdTUI(args[1:], true, stdout, stderr, os.Getenv)
	case cmd == "" || strings.HasPrefix(cmd, "-"):
		return cmdTUI(args, false, stdout, stderr, os.Getenv)
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
