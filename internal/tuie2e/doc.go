// Package tuie2e holds the end-to-end tests of the full-screen TUI: they
// build the real teaphone binary, run it in a detached tmux session (a real
// terminal of a known size) with isolated XDG directories, drive it with
// `tmux send-keys` and read the screen with `tmux capture-pane`, asserting
// what a user sees ("contains text"), never byte-exact frames.
//
// What is covered: the offline demo (presence of Echo and the away buddy
// Alice, a call to Echo with its running timer, RFC 4733 DTMF answered by
// Echo with "you pressed N" messages, hang-up, the History tab, a SIP
// MESSAGE answered with "echo: …", quitting with the terminal restored),
// the 80×24 layout, a registration failure shown in the header, a bad
// configuration rejected with one "file:line: key" error before any TUI
// starts, and a walkthrough against real peers (internal/interop): register
// to Kamailio from a config file, see a baresip buddy online, call it and
// check the audio both ways. Measurements (start-up to first frame, idle CPU and RSS) are
// logged with t.Logf; no test asserts a wall-clock target.
//
// The package has no non-test code; from the project it imports only the
// peer harness internal/interop, and it talks to teaphone only through the
// terminal, files and /proc.
// It needs tmux (Debian package tmux); without it the tests skip, unless
// CI is "true", where they fail.
package tuie2e
