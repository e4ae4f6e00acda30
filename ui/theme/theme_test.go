package theme

import "testing"

func TestSelect(t *testing.T) {
	env := func(kv map[string]string) func(string) string { return func(k string) string { return kv[k] } }
	tests := []struct {
		name string
		dark bool
		env  map[string]string
		want string
	}{
		{"auto", true, nil, "dark"},
		{"", false, nil, "light"},
		{"light", true, nil, "light"},
		{"dark", false, nil, "dark"},
		{"plain", true, nil, "plain"},
		{"dark", true, map[string]string{"NO_COLOR": "1"}, "plain"},
		{"bogus", true, nil, "dark"},
	}
	for _, tt := range tests {
		if got := Select(tt.name, tt.dark, env(tt.env)).Name; got != tt.want {
			t.Errorf("Select(%q, dark=%v, %v) = %q, want %q", tt.name, tt.dark, tt.env, got, tt.want)
		}
	}
}

func TestPlainRendersNoEscapes(t *testing.T) {
	p := Plain()
	for _, s := range []string{p.Fg(p.Accent).Render("x"), p.Bold().Render("x"), p.Selected().Render("x")} {
		if s != "x" {
			t.Errorf("plain style rendered %q, want %q", s, "x")
		}
	}
}
