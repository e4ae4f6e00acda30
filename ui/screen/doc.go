// Package screen is teaphone's terminal renderer for bubbletea v1
// programs run with tea.WithoutRenderer.
//
// It owns the terminal while the TUI runs: raw mode on the input, the
// alternate screen, the hidden cursor, mouse reporting (cell motion with
// SGR coordinates), bracketed paste, and putting all of them back on
// Close. It draws the frames bubbletea's event loop produces: Wrap gives
// a model whose View hands the frame to the Screen, which writes only the
// lines that changed, each flush in one Write inside synchronized output
// (mode 2026). It is event driven: a frame is written when it changes, at
// most once per 1/60 s (a later frame waits on a single one-shot timer),
// and when nothing changes nothing runs — no ticker, no goroutine wakes.
// Attach sends the program its window size at start and on every SIGWINCH,
// which bubbletea does not do without its own renderer.
//
// Escape sequences are ECMA-48 / xterm control sequences (CUP, EL, ED,
// DECSET/DECRST private modes 25, 1002, 1006, 1049, 2004, 2026); there is
// no RFC involved.
//
// It imports only the standard library, bubbletea, charmbracelet/x/ansi and
// charmbracelet/x/term: never ua, media, sipcore or other ui packages.
package screen
