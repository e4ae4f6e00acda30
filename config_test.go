package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// mapEnv is an environment lookup over a map.
func mapEnv(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

// loadTestConfig loads a file with a fake environment and a short command timeout.
func loadTestConfig(t *testing.T, path string, env map[string]string) (*config, []warning, error) {
	t.Helper()
	if env == nil {
		env = map[string]string{}
	}
	if _, ok := env["HOME"]; !ok {
		env["HOME"] = t.TempDir()
	}
	return loadConfigWith(path, loadOptions{env: mapEnv(env), cmdTimeout: 5 * time.Second})
}

// writeTestConfig writes a config file with the given mode into a fresh
// directory and returns its path.
func writeTestConfig(t *testing.T, body string, mode fs.FileMode) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "config.toml")
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestLoadConfigErrors(t *testing.T) {
	abs := func(name string) string {
		p, err := filepath.Abs(filepath.Join("testdata", "config", name))
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	tests := []struct {
		file string
		env  map[string]string
		want string // after "testdata/config/<file>:"
	}{
		// TOML syntax, with the key and line from the parser.
		{"syntax.toml", nil, `6: account[0].domain: expected value but found "sip" instead`},
		{"syntax_duplicate.toml", nil, `3: ui.theme: key 'ui.theme' has already been defined`},
		{"syntax_password.toml", nil, `4: account[0].password: invalid TOML value (details withheld: this line sets a password)`},
		// The parser blames the newline ending line 2 on line 3; the mistake is on line 2.
		{"syntax_table.toml", nil, `2: general: expected '.' or ']' to end table name, but got '\n' instead`},
		// Unknown keys and tables.
		{"unknown_key.toml", nil, `8: account[1].transprt: unknown key (did you mean "transport"?)`},
		{"unknown_table.toml", nil, `4: sound: unknown table`},
		{"unknown_top_key.toml", nil, `1: theme: unknown key`},
		// Types.
		{"type_string.toml", nil, `2: account[0].user: expected a string, got an integer`},
		{"type_bool.toml", nil, `3: behaviour.dnd: expected true or false, got a string`},
		{"type_int.toml", nil, `4: account[0].expires: expected an integer, got a string`},
		{"type_array.toml", nil, `2: audio.codecs: expected an array of strings, got a string`},
		{"type_array_element.toml", nil, `4: network.rtp_port_range[1]: expected an integer, got a string`},
		{"account_table.toml", nil, `4: account: expected [[account]] tables, got a table`},
		// Enumerations.
		{"bad_transport.toml", nil, `12: account[1].transport: "sctp" is not one of udp, tcp, tls`},
		{"bad_dtmf.toml", nil, `4: account[0].dtmf: "inband" is not one of rfc4733, info`},
		{"bad_theme.toml", nil, `2: ui.theme: "solarized" is not one of auto, dark, light, plain`},
		{"bad_log_level.toml", nil, `2: general.log_level: "verbose" is not one of debug, info, warn, error`},
		{"bad_codec.toml", nil, `2: audio.codecs[1]: "speex" is not one of opus, G722, PCMU, PCMA`},
		{"bad_account_codec.toml", nil, `6: account[0].codecs[1]: "G729" is not one of opus, G722, PCMU, PCMA`},
		{"duplicate_codec.toml", nil, `2: audio.codecs[2]: "PCMU" is already listed as audio.codecs[0]`},
		{"no_codecs.toml", nil, `2: audio.codecs: needs at least one codec (known: opus, G722, PCMU, PCMA)`},
		// Durations and ranges.
		{"bad_duration.toml", nil, `3: behaviour.auto_answer_delay: "5 seconds" is not a duration (like "0s", "2s" or "1m30s")`},
		{"negative_duration.toml", nil, `2: behaviour.rtp_timeout: "-1s" is not a duration (like "0s", "2s" or "1m30s")`},
		{"expires_range.toml", nil, `4: account[0].expires: 30 is out of range 60..86400 (set register = false not to register)`},
		{"bad_rtp_range.toml", nil, `2: network.rtp_port_range: [20000, 10000] must be [min, max] with 1024 <= min < max <= 65535`},
		{"bad_max_redirects.toml", nil, `3: behaviour.max_redirects: 0 is out of range 1..20`},
		// URIs, hosts and listeners.
		{"bad_registrar.toml", nil, `4: account[0].registrar: "registrar.example.com" is not a SIP URI (like "sip:host" or "sips:host:5061")`},
		{"bad_proxy.toml", nil, `4: account[0].outbound_proxy: "sip:;lr" has no valid host`},
		{"sips_over_udp.toml", nil, `4: account[0].registrar: a sips: URI needs transport = "tls" (transport is "udp")`},
		{"bad_domain.toml", nil, `3: account[0].domain: "sip example com" is not a host name or IP address (with an optional port)`},
		{"bad_listen.toml", nil, `2: network.listen[1]: "sctp:0.0.0.0:5060": transport "sctp" is not one of udp, tcp, tls`},
		{"bad_listen_host.toml", nil, `2: network.listen[0]: "udp:localhost:5060": host must be an IP address or empty`},
		{"duplicate_listen.toml", nil, `5: network.listen[2]: "udp:0.0.0.0:5060" is already listed as network.listen[0]`},
		{"tls_listen_no_cert.toml", nil, `2: network.listen: a tls listener needs network.tls_cert_file and network.tls_key_file`},
		// Accounts.
		{"missing_user.toml", nil, `1: account[0].user: is required (the user part of your SIP address)`},
		{"user_with_domain.toml", nil, `2: account[0].user: "alice@sip.example.com" must be the user part only (the domain goes in domain)`},
		{"duplicate_names.toml", nil, `7: account[1].name: "Work" is already the name of account[0]`},
		{"duplicate_default_names.toml", nil, `5: account[1].name: "alice@sip.example.com" is already the name of account[0]`},
		// Passwords.
		{"two_passwords.toml", map[string]string{"SIP_PASSWORD": "x"}, `5: account[0].password_env: set only one of password, password_env and password_cmd`},
		{"env_and_cmd.toml", nil, `5: account[0].password_cmd: set only one of password, password_env and password_cmd`},
		{"bad_env_name.toml", nil, `4: account[0].password_env: "$SIP_PASSWORD" is not an environment variable name`},
		{"missing_password_env.toml", nil, `4: account[0].password_env: environment variable TEAPHONE_TEST_UNSET is not set or empty`},
		// Files.
		{"missing_ring_tone.toml", nil, `2: audio.ring_tone: ` + abs("no-such-ring.wav") + ` does not exist`},
		{"missing_ca_file.toml", nil, `2: network.tls_ca_file: ` + abs("no-such-ca.pem") + ` does not exist`},
		// Line tracking: the first problem by line wins, not by key order;
		// dotted keys, inline tables and multi-line strings keep lines right.
		{"first_error_wins.toml", nil, `2: ui.theme: "neon" is not one of auto, dark, light, plain`},
		{"dotted_keys.toml", nil, `2: audio.codecs[1]: "GSM" is not one of opus, G722, PCMU, PCMA`},
		{"multiline_string.toml", nil, `10: account[0].dtmf: "tones" is not one of rfc4733, info`},
	}
	seen := map[string]bool{}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			seen[tt.file] = true
			path := filepath.Join("testdata", "config", tt.file)
			cfg, ws, err := loadTestConfig(t, path, tt.env)
			if err == nil {
				t.Fatalf("loadConfig(%s) = %+v, %v, nil; want error", path, cfg, ws)
			}
			if got, want := err.Error(), path+":"+tt.want; got != want {
				t.Errorf("error\n got: %s\nwant: %s", got, want)
			}
			var ce *configError
			if !errors.As(err, &ce) {
				t.Fatalf("error %T is not a *configError", err)
			}
			if ce.File != path || ce.Line < 1 || ce.Key == "" {
				t.Errorf("configError{File: %q, Line: %d, Key: %q}, want the file, a line and a key", ce.File, ce.Line, ce.Key)
			}
			if cfg != nil || ws != nil {
				t.Errorf("on error got config %v and warnings %v, want nil", cfg, ws)
			}
		})
	}
	// Every error fixture is in the table.
	files, err := filepath.Glob(filepath.Join("testdata", "config", "*.toml"))
	if err != nil {
		t.Fatal(err)
	}
	valid := map[string]bool{"empty.toml": true, "direct_ip.toml": true}
	for _, f := range files {
		if b := filepath.Base(f); !seen[b] && !valid[b] {
			t.Errorf("fixture %s has no test case", b)
		}
	}
}

const testPassword = "hunter2-very-secret"

// TestErrorsNeverHoldThePassword: errors on lines that set a password, and
// errors in files that hold one, do not quote it.
func TestErrorsNeverHoldThePassword(t *testing.T) {
	for _, name := range []string{"syntax_password.toml", "two_passwords.toml"} {
		_, _, err := loadTestConfig(t, filepath.Join("testdata", "config", name), map[string]string{"SIP_PASSWORD": "x"})
		if err == nil {
			t.Fatalf("%s: no error", name)
		}
		for _, s := range []string{err.Error(), fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", err)} {
			if strings.Contains(s, "hunter2") {
				t.Errorf("%s: error %q holds the password", name, s)
			}
		}
	}
}

func TestLoadConfigDefaults(t *testing.T) {
	home := t.TempDir()
	path := filepath.Join("testdata", "config", "empty.toml")
	cfg, ws, err := loadTestConfig(t, path, map[string]string{"HOME": home})
	if err != nil {
		t.Fatal(err)
	}
	if len(ws) != 0 {
		t.Errorf("warnings = %v, want none", ws)
	}
	want := defaultConfig()
	want.Path = path
	want.Audio.RecordingDir = filepath.Join(home, ".local", "share", "teaphone", "recordings")
	if !reflect.DeepEqual(cfg, want) {
		t.Errorf("empty file:\n got %+v\nwant %+v", cfg, want)
	}
	// The defaults the issue names, spelled out.
	checks := []struct {
		name      string
		got, want any
	}{
		{"theme", cfg.UI.Theme, "auto"},
		{"log_level", cfg.General.LogLevel, "info"},
		{"codecs", cfg.Audio.Codecs, []string{"opus", "G722", "PCMU", "PCMA"}},
		{"ring_tone", cfg.Audio.RingTone, "builtin"},
		{"rtp_port_range", cfg.Network.RTPPortRange, [2]int{10000, 20000}},
		{"call_waiting", cfg.Behaviour.CallWaiting, true},
		{"rtp_timeout", cfg.Behaviour.RTPTimeout, 60 * time.Second},
		{"follow_redirects", cfg.Behaviour.FollowRedirects, true},
		{"max_redirects", cfg.Behaviour.MaxRedirects, 5},
		{"auto_answer", cfg.Behaviour.AutoAnswer, false},
		{"dnd", cfg.Behaviour.DND, false},
		{"publish", cfg.Presence.Publish, false},
		{"accounts", len(cfg.Accounts), 0},
	}
	for _, c := range checks {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("default %s = %v, want %v", c.name, c.got, c.want)
		}
	}
}

func TestAccountDefaults(t *testing.T) {
	path := writeTestConfig(t, `
[audio]
codecs = ["pcma", "opus"]

[[account]]
user = "alice"
domain = "sip.example.com"
`, 0o600)
	cfg, _, err := loadTestConfig(t, path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Accounts) != 1 {
		t.Fatalf("%d accounts, want 1", len(cfg.Accounts))
	}
	got := cfg.Accounts[0]
	want := accountConfig{
		Name:      "alice@sip.example.com",
		User:      "alice",
		Domain:    "sip.example.com",
		AuthUser:  "alice",
		Register:  true,
		Transport: "udp",
		Expires:   600,
		DTMF:      "rfc4733",
		Codecs:    []string{"PCMA", "opus"}, // canonical spelling, from [audio]
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("account:\n got %+v\nwant %+v", got, want)
	}
	if got.Password.IsSet() {
		t.Error("password set, want none")
	}
}

func TestDirectIPAccount(t *testing.T) {
	cfg, _, err := loadTestConfig(t, filepath.Join("testdata", "config", "direct_ip.toml"), nil)
	if err != nil {
		t.Fatal(err)
	}
	a := cfg.Accounts[0]
	if a.Register || a.Expires != 0 || a.Domain != "192.0.2.10:5062" {
		t.Errorf("account = %+v, want register false, expires 0, domain with port", a)
	}
	want := []listenAddr{{"udp", "0.0.0.0:5060"}, {"tcp", "[::]:5060"}}
	if !reflect.DeepEqual(cfg.Network.Listen, want) {
		t.Errorf("listen = %v, want %v", cfg.Network.Listen, want)
	}
}

func TestLoadConfigMissingFiles(t *testing.T) {
	t.Run("default location missing is the demo", func(t *testing.T) {
		cfgHome := t.TempDir()
		cfg, ws, err := loadConfig("", mapEnv(map[string]string{"XDG_CONFIG_HOME": cfgHome, "HOME": t.TempDir()}))
		if err != nil {
			t.Fatalf("err = %v, want nil", err)
		}
		if cfg.Path != "" || len(cfg.Accounts) != 0 || ws != nil {
			t.Errorf("got Path %q, %d accounts, warnings %v; want defaults", cfg.Path, len(cfg.Accounts), ws)
		}
		if cfg.UI.Theme != "auto" {
			t.Errorf("theme = %q, want the default", cfg.UI.Theme)
		}
	})
	t.Run("default location present", func(t *testing.T) {
		cfgHome := t.TempDir()
		path := filepath.Join(cfgHome, "teaphone", "config.toml")
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte("[ui]\ntheme = \"plain\"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		cfg, _, err := loadTestConfig(t, "", map[string]string{"XDG_CONFIG_HOME": cfgHome})
		if err != nil {
			t.Fatal(err)
		}
		if cfg.Path != path || cfg.UI.Theme != "plain" {
			t.Errorf("Path %q theme %q, want %q and plain", cfg.Path, cfg.UI.Theme, path)
		}
	})
	t.Run("explicit path missing is an error", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "nope.toml")
		_, _, err := loadTestConfig(t, path, nil)
		if !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("err = %v, want fs.ErrNotExist", err)
		}
		if !strings.Contains(err.Error(), path) {
			t.Errorf("error %q does not name %s", err, path)
		}
	})
	t.Run("no home", func(t *testing.T) {
		_, _, err := loadConfigWith("", loadOptions{env: mapEnv(nil)})
		if !errors.Is(err, errNoHome) {
			t.Fatalf("err = %v, want errNoHome", err)
		}
	})
	t.Run("directory", func(t *testing.T) {
		dir := t.TempDir()
		_, _, err := loadTestConfig(t, dir, nil)
		if err == nil || !strings.Contains(err.Error(), "is a directory") {
			t.Fatalf("err = %v, want a directory error", err)
		}
	})
	t.Run("too large", func(t *testing.T) {
		path := writeTestConfig(t, "# "+strings.Repeat("x", maxConfigSize)+"\n", 0o600)
		_, _, err := loadTestConfig(t, path, nil)
		if err == nil || !strings.Contains(err.Error(), "larger than") {
			t.Fatalf("err = %v, want a size error", err)
		}
	})
}

func TestPermissionWarning(t *testing.T) {
	inline := "[[account]]\nuser = \"alice\"\ndomain = \"sip.example.com\"\npassword = \"" + testPassword + "\"\n"
	fromEnv := "[[account]]\nuser = \"alice\"\ndomain = \"sip.example.com\"\npassword_env = \"SIP_PASSWORD\"\n"
	tests := []struct {
		name string
		body string
		mode fs.FileMode
		warn bool
	}{
		{"inline 0644", inline, 0o644, true},
		{"inline 0640", inline, 0o640, true},
		{"inline 0604", inline, 0o604, true},
		{"inline 0600", inline, 0o600, false},
		{"inline 0400", inline, 0o400, false},
		{"env 0644", fromEnv, 0o644, false},
		{"no password 0644", "[ui]\ntheme = \"dark\"\n", 0o644, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeTestConfig(t, tt.body, tt.mode)
			_, ws, err := loadTestConfig(t, path, map[string]string{"SIP_PASSWORD": "from-env"})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, w := range ws {
				got = append(got, w.String())
			}
			var want []string
			if tt.warn {
				want = []string{path + " is readable by others and holds a password; run chmod 600 " + path}
			}
			if !slices.Equal(got, want) {
				t.Errorf("warnings = %q, want %q", got, want)
			}
		})
	}
}

func TestInsecureTLSWarning(t *testing.T) {
	path := writeTestConfig(t, "[ui]\ntheme = \"dark\"\n\n[network]\ntls_insecure_skip_verify = true\n", 0o600)
	_, ws, err := loadTestConfig(t, path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(ws) != 1 {
		t.Fatalf("warnings = %v, want one", ws)
	}
	want := path + ":5: network.tls_insecure_skip_verify: TLS certificates are not verified: anyone on the path can read and change your calls"
	if got := ws[0].String(); got != want {
		t.Errorf("warning\n got %s\nwant %s", got, want)
	}
}

func TestPasswordSources(t *testing.T) {
	account := "[[account]]\nuser = \"alice\"\ndomain = \"sip.example.com\"\n"
	tests := []struct {
		name    string
		line    string // the password line, line 4 of the file
		env     map[string]string
		want    string // the password, when no error
		wantErr string // after "<path>:"
	}{
		{"inline", `password = "` + testPassword + `"`, nil, testPassword, ""},
		{"env", `password_env = "SIP_PASSWORD"`, map[string]string{"SIP_PASSWORD": testPassword}, testPassword, ""},
		{"env missing", `password_env = "SIP_PASSWORD"`, nil, "",
			"4: account[0].password_env: environment variable SIP_PASSWORD is not set or empty"},
		{"cmd", `password_cmd = "printf '%s\\n' '` + testPassword + `'"`, nil, testPassword, ""},
		{"cmd first line only", `password_cmd = "printf '` + testPassword + `\\r\\nuser: alice\\n'"`, nil, testPassword, ""},
		{"cmd no newline", `password_cmd = "printf %s '` + testPassword + `'"`, nil, testPassword, ""},
		{"cmd fails", `password_cmd = "false"`, nil, "",
			"4: account[0].password_cmd: command failed: exit status 1"},
		{"cmd fails after printing", `password_cmd = "printf '` + testPassword + `'; exit 3"`, nil, "",
			"4: account[0].password_cmd: command failed: exit status 3"},
		{"cmd prints nothing", `password_cmd = "true"`, nil, "",
			"4: account[0].password_cmd: command failed: it printed no password"},
		{"cmd not found", `password_cmd = "teaphone-no-such-command-xyz"`, nil, "",
			"4: account[0].password_cmd: command failed: exit status 127"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeTestConfig(t, account+tt.line+"\n", 0o600)
			cfg, _, err := loadTestConfig(t, path, tt.env)
			if tt.wantErr != "" {
				if err == nil {
					t.Fatalf("no error, want %q", tt.wantErr)
				}
				if got, want := err.Error(), path+":"+tt.wantErr; got != want {
					t.Errorf("error\n got %s\nwant %s", got, want)
				}
				if strings.Contains(err.Error(), "hunter2") {
					t.Errorf("error %q holds the password", err)
				}
				if strings.Contains(tt.name, "cmd") && !errors.Is(err, errPasswordCmd) {
					t.Errorf("error %v does not wrap errPasswordCmd", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := cfg.Accounts[0].Password.Reveal(); got != tt.want {
				t.Errorf("password = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestPasswordCmdTimeout runs a command that outlives its time limit and
// checks the error and that its whole process group is gone.
func TestPasswordCmdTimeout(t *testing.T) {
	dir := t.TempDir()
	pidFile := filepath.Join(dir, "pid")
	cmd := fmt.Sprintf("sleep 30 & echo $! > %s; wait", pidFile)
	path := writeTestConfig(t, "[[account]]\nuser = \"alice\"\ndomain = \"sip.example.com\"\npassword_cmd = "+strconv.Quote(cmd)+"\n", 0o600)
	_, _, err := loadConfigWith(path, loadOptions{env: mapEnv(map[string]string{"HOME": dir}), cmdTimeout: 200 * time.Millisecond})
	if err == nil {
		t.Fatal("no error, want a timeout")
	}
	if got, want := err.Error(), path+":4: account[0].password_cmd: command failed: no answer after 200ms (killed)"; got != want {
		t.Errorf("error\n got %s\nwant %s", got, want)
	}
	b, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatalf("the command did not start: %v", err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	// SIGKILL was sent to the group before loadConfig returned; wait (bounded)
	// for the kernel to finish the child. A zombie counts as gone.
	deadline := time.Now().Add(5 * time.Second)
	for !processGone(pid) {
		if time.Now().After(deadline) {
			t.Fatalf("sleep (pid %d) still running after the timeout", pid)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// processGone reports whether pid has exited (no /proc entry, or a zombie).
func processGone(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true
	}
	// The state follows the parenthesised command name.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i >= 0 && i+2 < len(s) && (s[i+2] == 'Z' || s[i+2] == 'X')
}

// TestPrintedConfigHidesPasswords prints a loaded config every way a
// program might, and looks for the passwords.
func TestPrintedConfigHidesPasswords(t *testing.T) {
	const envPassword, cmdPassword = "env-pass-0xDEADBEEF", "cmd-pass-0xFEEDFACE"
	path := writeTestConfig(t, `
[[account]]
name = "inline"
user = "alice"
domain = "sip.example.com"
password = "`+testPassword+`"

[[account]]
name = "env"
user = "bob"
domain = "sip.example.com"
password_env = "BOB_PASSWORD"

[[account]]
name = "cmd"
user = "carol"
domain = "sip.example.com"
password_cmd = "printf '%s-%s\n' cmd-pass 0xFEEDFACE"
`, 0o644)
	cfg, ws, err := loadTestConfig(t, path, map[string]string{"BOB_PASSWORD": envPassword})
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []string{testPassword, envPassword, cmdPassword} {
		if got := cfg.Accounts[i].Password.Reveal(); got != want {
			t.Fatalf("account %d password = %q, want %q", i, got, want)
		}
	}
	var outputs []string
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%T %[1]v"} {
		outputs = append(outputs, fmt.Sprintf(verb, cfg), fmt.Sprintf(verb, *cfg), fmt.Sprintf(verb, cfg.Accounts),
			fmt.Sprintf(verb, cfg.Accounts[0]), fmt.Sprintf(verb, cfg.Accounts[0].Password))
	}
	j, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	outputs = append(outputs, string(j))
	var logBuf bytes.Buffer
	for _, h := range []slog.Handler{slog.NewTextHandler(&logBuf, nil), slog.NewJSONHandler(&logBuf, nil)} {
		slog.New(h).Info("loaded", "config", cfg, "account", cfg.Accounts[0], "password", cfg.Accounts[0].Password)
	}
	outputs = append(outputs, logBuf.String())
	for _, w := range ws {
		outputs = append(outputs, w.String(), fmt.Sprintf("%+v", w))
	}
	for _, out := range outputs {
		for _, pw := range []string{testPassword, envPassword, cmdPassword} {
			for _, form := range []string{pw, fmt.Sprintf("%x", pw)} {
				if strings.Contains(out, form) {
					t.Errorf("output holds a password (%s):\n%s", pw, out)
				}
			}
		}
	}
	if !strings.Contains(fmt.Sprintf("%+v", cfg.Accounts[0]), "Password:"+redacted) {
		t.Errorf("%%+v of an account = %+v, want Password:%s", cfg.Accounts[0], redacted)
	}
}

func TestSecret(t *testing.T) {
	s := newSecret("p@ss")
	if s.Reveal() != "p@ss" || !s.IsSet() {
		t.Fatalf("Reveal = %q, IsSet = %v", s.Reveal(), s.IsSet())
	}
	text, _ := s.MarshalText()
	got := []string{s.String(), fmt.Sprint(s), fmt.Sprintf("%#v", s), fmt.Sprintf("%d", s), s.GoString(), string(text), s.LogValue().String()}
	want := []string{redacted, redacted, redacted, redacted, `"` + redacted + `"`, redacted, redacted}
	if !slices.Equal(got, want) {
		t.Errorf("set secret printed as %q, want %q", got, want)
	}
	var unset secret
	if unset.String() != "" || unset.IsSet() || unset.Reveal() != "" {
		t.Errorf("unset secret: String %q IsSet %v", unset.String(), unset.IsSet())
	}
	if newSecret("").IsSet() {
		t.Error("empty secret is set")
	}
	var u secret
	if err := u.UnmarshalText([]byte("x")); err != nil || u.Reveal() != "x" {
		t.Errorf("UnmarshalText: %v, %q", err, u.Reveal())
	}
}

// TestExampleConfigLoads loads config.example.toml as it ships.
func TestExampleConfigLoads(t *testing.T) {
	home := t.TempDir()
	cfg, ws, err := loadTestConfig(t, "config.example.toml", map[string]string{
		"HOME":                   home,
		"TEAPHONE_WORK_PASSWORD": "work-password",
	})
	if err != nil {
		t.Fatalf("config.example.toml: %v", err)
	}
	if len(ws) != 0 {
		t.Errorf("warnings = %v, want none", ws)
	}
	names := []string{}
	for _, a := range cfg.Accounts {
		names = append(names, a.Name)
	}
	if want := []string{"work", "home", "lan"}; !slices.Equal(names, want) {
		t.Fatalf("accounts %q, want %q", names, want)
	}
	if got := cfg.Accounts[0].Password.Reveal(); got != "work-password" {
		t.Errorf("work password = %q, want it from TEAPHONE_WORK_PASSWORD", got)
	}
	if got := cfg.Accounts[1].Codecs; !slices.Equal(got, []string{"G722", "PCMA"}) {
		t.Errorf("home codecs = %q", got)
	}
	if cfg.Accounts[2].Register {
		t.Error("lan account registers, want register = false")
	}

	// Outside the accounts, the example states the defaults.
	want := defaultConfig()
	want.Path = "config.example.toml"
	want.Audio.RecordingDir = filepath.Join(home, ".local", "share", "teaphone", "recordings")
	got := *cfg
	got.Accounts = nil
	if len(got.Network.Listen) == 0 {
		got.Network.Listen = nil
	}
	if !reflect.DeepEqual(&got, want) {
		t.Errorf("example is not the defaults:\n got %+v\nwant %+v", got, *want)
	}
	// And the first account spells out the account defaults.
	var def accountConfig
	def.setDefaults()
	a := cfg.Accounts[0]
	if a.Transport != def.Transport || a.Expires != def.Expires || a.DTMF != def.DTMF || a.Register != def.Register {
		t.Errorf("work account %+v does not show the defaults %+v", a, def)
	}
}

// configKeys lists every key the loader knows, by reflecting over the toml
// tags; an array of tables contributes "name.key".
func configKeys(t reflect.Type, prefix string) []string {
	var keys []string
	for tag, i := range tomlFields(t) {
		key := joinKey(prefix, tag)
		ft := t.Field(i).Type
		switch {
		case ft.Kind() == reflect.Struct && ft != reflect.TypeFor[secret]():
			keys = append(keys, configKeys(ft, key)...)
		case ft.Kind() == reflect.Slice && ft.Elem().Kind() == reflect.Struct && !reflect.PointerTo(ft.Elem()).Implements(textUnmarshalerType):
			keys = append(keys, configKeys(ft.Elem(), key)...)
		default:
			keys = append(keys, key)
		}
	}
	sort.Strings(keys)
	return keys
}

// TestExampleDocumentsEveryKey keeps config.example.toml and the struct in
// sync: every key appears in the example (set, or commented out as
// "# key = …"), and the example names no key the loader does not know.
func TestExampleDocumentsEveryKey(t *testing.T) {
	src, err := os.ReadFile("config.example.toml")
	if err != nil {
		t.Fatal(err)
	}
	commented := regexp.MustCompile(`(?m)^(\s*)#\s*([a-z_]+\s*=)`)
	lines := scanKeyLines(commented.ReplaceAllString(string(src), "$1$2"))
	documented := map[string]bool{}
	index := regexp.MustCompile(`\[\d+\]`)
	for path := range lines.at {
		documented[index.ReplaceAllString(path, "")] = true
	}
	known := configKeys(reflect.TypeFor[config](), "")
	if len(known) < 35 {
		t.Fatalf("only %d keys found by reflection: %q", len(known), known)
	}
	knownSet := map[string]bool{}
	for _, k := range known {
		knownSet[k] = true
		if !documented[k] {
			t.Errorf("key %s is not documented in config.example.toml", k)
		}
	}
	for k := range documented {
		if !knownSet[k] && !isConfigTable(k) {
			t.Errorf("config.example.toml documents %s, which the loader does not know", k)
		}
	}
}

// isConfigTable reports whether path names a table of the config rather than a key.
func isConfigTable(path string) bool {
	for _, t := range []string{"general", "network", "ui", "audio", "behaviour", "presence", "account"} {
		if path == t {
			return true
		}
	}
	return false
}

func TestConfigPathsResolved(t *testing.T) {
	dir := t.TempDir()
	home := t.TempDir()
	for _, f := range []string{filepath.Join(dir, "ring.wav"), filepath.Join(home, "ca.pem")} {
		if err := os.WriteFile(f, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(dir, "config.toml")
	body := "[audio]\nring_tone = \"ring.wav\"\nrecording_dir = \"~/calls\"\n\n[network]\ntls_ca_file = \"~/ca.pem\"\n"
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, _, err := loadTestConfig(t, path, map[string]string{"HOME": home})
	if err != nil {
		t.Fatal(err)
	}
	got := []string{cfg.Audio.RingTone, cfg.Audio.RecordingDir, cfg.Network.TLSCAFile}
	want := []string{filepath.Join(dir, "ring.wav"), filepath.Join(home, "calls"), filepath.Join(home, "ca.pem")}
	if !slices.Equal(got, want) {
		t.Errorf("paths = %q, want %q", got, want)
	}
}

func TestScanKeyLines(t *testing.T) {
	src := `top = 1            # line 1
"quoted key".x = 2 # line 2
[a]                # line 3
b.c = [            # line 4
  1,               # line 5
  [2, 3], "x,]",   # line 6
]
s = '''
[[fake]]
k = 1
'''
[[t]]              # line 12
k = 1
[t.sub]            # line 14
z = { y = 1 }
[[t]]              # line 16
k = "a # b"
'lit' = "v"
`
	kl := scanKeyLines(src)
	want := map[string]int{
		"top": 1, "quoted key.x": 2, "a": 3, "a.b.c": 4, "a.b.c[0]": 5, "a.b.c[1]": 6, "a.b.c[2]": 6,
		"a.s": 8, "t": 12, "t[0]": 12, "t[0].k": 13, "t[0].sub": 14, "t[0].sub.z": 15,
		"t[1]": 16, "t[1].k": 17, "t[1].lit": 18,
	}
	for k, n := range want {
		if got := kl.lineOf(k); got != n {
			t.Errorf("lineOf(%q) = %d, want %d", k, got, n)
		}
	}
	for _, k := range []string{"fake", "fake[0].k", "k"} { // inside the ''' string
		if n, ok := kl.at[k]; ok {
			t.Errorf("recorded %q at line %d, which is inside a string", k, n)
		}
	}
	// Fallbacks: a key in an inline table, an element past the recorded ones.
	if got := kl.lineOf("t[0].sub.z.y"); got != 15 {
		t.Errorf("lineOf(inline key) = %d, want 15", got)
	}
	if got := kl.lineOf("a.b.c[9]"); got != 4 {
		t.Errorf("lineOf(unrecorded element) = %d, want 4", got)
	}
	if got := kl.lineOf("t[0].sub.z.odd]"); got != 15 {
		t.Errorf("lineOf(key ending in ]) = %d, want 15", got)
	}
	if got := kl.lineOf("nowhere.at.all"); got != 0 {
		t.Errorf("lineOf(missing) = %d, want 0", got)
	}
}

// TestLineEndings: CRLF files and a byte order mark keep the lines right.
func TestLineEndings(t *testing.T) {
	src, err := os.ReadFile(filepath.Join("testdata", "config", "bad_transport.toml"))
	if err != nil {
		t.Fatal(err)
	}
	crlf := strings.ReplaceAll(string(src), "\n", "\r\n")
	for name, body := range map[string]string{"crlf": crlf, "bom": "\ufeff" + string(src), "bom+crlf": "\ufeff" + crlf} {
		path := writeTestConfig(t, body, 0o600)
		_, _, err := loadTestConfig(t, path, nil)
		want := path + `:12: account[1].transport: "sctp" is not one of udp, tcp, tls`
		if err == nil || err.Error() != want {
			t.Errorf("%s: error %v, want %s", name, err, want)
		}
	}
}

func TestListenAddr(t *testing.T) {
	tests := []struct {
		in, want string // want "" = error
	}{
		{"udp:0.0.0.0:5060", "udp:0.0.0.0:5060"},
		{"TCP:[::]:5060", "tcp:[::]:5060"},
		{"tls::5061", "tls::5061"},
		{"udp:127.0.0.1:0", "udp:127.0.0.1:0"},
		{"udp:0.0.0.0", ""},
		{"udp:0.0.0.0:65536", ""},
		{"udp:0.0.0.0:http", ""},
		{"ws:0.0.0.0:80", ""},
		{"0.0.0.0:5060", ""},
		{"udp", ""},
	}
	for _, tt := range tests {
		var l listenAddr
		err := l.UnmarshalText([]byte(tt.in))
		switch {
		case tt.want == "" && err == nil:
			t.Errorf("%q: parsed as %v, want an error", tt.in, l)
		case tt.want != "" && (err != nil || l.String() != tt.want):
			t.Errorf("%q: got %v, %v; want %s", tt.in, l, err, tt.want)
		}
	}
}

func TestValidHostPort(t *testing.T) {
	tests := map[string]bool{
		"example.com": true, "sip.example.com:5060": true, "192.0.2.1": true, "[2001:db8::1]": true,
		"[2001:db8::1]:5061": true, "example.com.": true, "a-b.c": true,
		"": false, "exa mple.com": false, "example.com:0": false, "example.com:99999": false,
		"-a.com": false, "a..b": false, "[::1": false, "[zz]": false, "[::1]x": false, "host:+5": false,
	}
	for in, want := range tests {
		if got := validHostPort(in); got != want {
			t.Errorf("validHostPort(%q) = %v, want %v", in, got, want)
		}
	}
}

// FuzzParseConfig feeds arbitrary files to the loader: it must never
// panic, every error must name the file, and a password set on a line that
// fails never appears in the error. Commands are never run.
func FuzzParseConfig(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "config", "*.toml"))
	files = append(files, "config.example.toml")
	for _, file := range files {
		if b, err := os.ReadFile(file); err == nil {
			f.Add(b)
		}
	}
	opts := loadOptions{
		env:    func(string) string { return "env-value" },
		runCmd: func(string, time.Duration) (string, error) { return "cmd-value", nil },
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		cfg, err := parseConfig("f.toml", src, opts)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "f.toml") {
				t.Fatalf("error %q does not start with the file name", err)
			}
			return
		}
		_ = fmt.Sprintf("%+v", cfg)
	})
}
