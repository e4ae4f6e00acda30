// Package theme is the TUI's leaf package of colours and base styles. Every
// component builds its own Styles from a Theme, so nothing in ui keeps global
// style variables and a plain (colourless) theme serves NO_COLOR terminals
// and golden tests alike.
//
// It imports only lipgloss and must not import any other teaphone package.
package theme

import (
	"os"

	"github.com/charmbracelet/lipgloss"
)

// Theme is the palette and the handful of base styles the components share.
type Theme struct {
	// Name is "dark", "light" or "plain".
	Name string
	// Plain themes carry no colour, bold or reverse video: only layout.
	Plain bool

	Accent  lipgloss.TerminalColor // focus, selection, the active tab
	Muted   lipgloss.TerminalColor // secondary text, borders of unfocused panes
	Text    lipgloss.TerminalColor
	OK      lipgloss.TerminalColor // registered, online, delivered, active call
	Warn    lipgloss.TerminalColor // ringing, away, on hold
	Err     lipgloss.TerminalColor // failed, missed, busy
	Inverse lipgloss.TerminalColor // text on an Accent background
}

// Dark is the theme for dark terminal backgrounds.
func Dark() Theme {
	return Theme{
		Name:    "dark",
		Accent:  lipgloss.Color("#7D9CFF"),
		Muted:   lipgloss.Color("#6C7086"),
		Text:    lipgloss.Color("#CDD6F4"),
		OK:      lipgloss.Color("#A6E3A1"),
		Warn:    lipgloss.Color("#F9E2AF"),
		Err:     lipgloss.Color("#F38BA8"),
		Inverse: lipgloss.Color("#11111B"),
	}
}

// Light is the theme for light terminal backgrounds.
func Light() Theme {
	return Theme{
		Name:    "light",
		Accent:  lipgloss.Color("#1E66F5"),
		Muted:   lipgloss.Color("#8C8FA1"),
		Text:    lipgloss.Color("#4C4F69"),
		OK:      lipgloss.Color("#40A02B"),
		Warn:    lipgloss.Color("#DF8E1D"),
		Err:     lipgloss.Color("#D20F39"),
		Inverse: lipgloss.Color("#EFF1F5"),
	}
}

// Plain has no colours at all: for NO_COLOR and for golden tests.
func Plain() Theme {
	none := lipgloss.NoColor{}
	return Theme{Name: "plain", Plain: true, Accent: none, Muted: none, Text: none, OK: none, Warn: none, Err: none, Inverse: none}
}

// Select picks a theme by name: "dark", "light", "plain", or "auto"/"" to
// follow the terminal's background (dark when it cannot tell). NO_COLOR in
// the environment (https://no-color.org) always wins.
func Select(name string, hasDarkBackground bool, getenv func(string) string) Theme {
	if getenv == nil {
		getenv = os.Getenv
	}
	if getenv("NO_COLOR") != "" {
		return Plain()
	}
	switch name {
	case "dark":
		return Dark()
	case "light":
		return Light()
	case "plain":
		return Plain()
	}
	if hasDarkBackground {
		return Dark()
	}
	return Light()
}

// Fg is a style with the foreground set, or an empty style for plain themes.
func (t Theme) Fg(c lipgloss.TerminalColor) lipgloss.Style {
	if t.Plain {
		return lipgloss.NewStyle()
	}
	return lipgloss.NewStyle().Foreground(c)
}

// Bold is bold text unless the theme is plain.
func (t Theme) Bold() lipgloss.Style {
	return lipgloss.NewStyle().Bold(!t.Plain)
}

// Selected is the style of the cursor row: reverse video on colour themes,
// a plain "> " marker is the component's job on plain ones.
func (t Theme) Selected() lipgloss.Style {
	if t.Plain {
		return lipgloss.NewStyle()
	}
	return lipgloss.NewStyle().Foreground(t.Inverse).Background(t.Accent)
}

// Pane is the border style of a pane, accented when focused.
func (t Theme) Pane(focused bool) lipgloss.Style {
	s := lipgloss.NewStyle().Border(lipgloss.RoundedBorder())
	if t.Plain {
		if focused {
			return s.Border(lipgloss.DoubleBorder())
		}
		return s
	}
	if focused {
		return s.BorderForeground(t.Accent)
	}
	return s.BorderForeground(t.Muted)
}
