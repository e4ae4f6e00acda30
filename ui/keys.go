package ui

import "github.com/charmbracelet/bubbles/key"

// KeyMap holds the global bindings. They apply only when no text field has
// the keyboard (the dialer, a chat's compose field, a filter) and no dialog
// is open (the contact form, a question, the import prompt), except Quit on
// ctrl+c which always works.
type KeyMap struct {
	ForceQuit, Quit, Help, NextPane, PrevPane, Dialer key.Binding
	TabCalls, TabChat, TabHistory, TabTrace           key.Binding
	Answer, Reject, Dismiss                           key.Binding // incoming-call modal
}

// DefaultKeyMap returns the default global bindings.
func DefaultKeyMap() KeyMap {
	return KeyMap{
		ForceQuit:  key.NewBinding(key.WithKeys("ctrl+c"), key.WithHelp("ctrl+c", "quit")),
		Quit:       key.NewBinding(key.WithKeys("q"), key.WithHelp("q", "quit")),
		Help:       key.NewBinding(key.WithKeys("?"), key.WithHelp("?", "help")),
		NextPane:   key.NewBinding(key.WithKeys("tab"), key.WithHelp("tab", "next pane")),
		PrevPane:   key.NewBinding(key.WithKeys("shift+tab"), key.WithHelp("shift+tab", "previous pane")),
		Dialer:     key.NewBinding(key.WithKeys("d", ":"), key.WithHelp("d", "dial")),
		TabCalls:   key.NewBinding(key.WithKeys("alt+1", "f2"), key.WithHelp("alt+1", "calls")),
		TabChat:    key.NewBinding(key.WithKeys("alt+2", "f3"), key.WithHelp("alt+2", "chat")),
		TabHistory: key.NewBinding(key.WithKeys("alt+3", "f4"), key.WithHelp("alt+3", "history")),
		TabTrace:   key.NewBinding(key.WithKeys("alt+4", "f5"), key.WithHelp("alt+4", "SIP trace")),
		Answer:     key.NewBinding(key.WithKeys("a", "enter"), key.WithHelp("a", "answer")),
		Reject:     key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "reject")),
		Dismiss:    key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "later")),
	}
}
