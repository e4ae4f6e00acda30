package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestRunHelpAndVersion(t *testing.T) {
	tests := []struct {
		args     []string
		wantCode int
		wantOut  string
		wantErr  string
	}{
		{[]string{"help"}, 0, "Usage:", ""},
		{[]string{"--help"}, 0, "teaphone agent [flags]", ""},
		{[]string{"version"}, 0, "teaphone ", ""},
		{[]string{"agent", "-bogus"}, 2, "", "flag provided but not defined: -bogus"},
		{[]string{"agent"}, 2, "", "no account: give -user and -domain, or -config"},
		{[]string{"bogus"}, 2, "", `unknown command "bogus"`},
	}
	for _, tt := range tests {
		var out, errb bytes.Buffer
		code := run(tt.args, strings.NewReader(""), &out, &errb)
		if code != tt.wantCode {
			t.Errorf("run(%q) = %d, want %d", tt.args, code, tt.wantCode)
		}
		if !strings.Contains(out.String(), tt.wantOut) {
			t.Errorf("run(%q) stdout = %q, want it to contain %q", tt.args, out.String(), tt.wantOut)
		}
		if !strings.Contains(errb.String(), tt.wantErr) {
			t.Errorf("run(%q) stderr = %q, want it to contain %q", tt.args, errb.String(), tt.wantErr)
		}
	}
}
