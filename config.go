package main

// The configuration file: one TOML document (config.example.toml documents
// every key), decoded here into the private config struct and validated
// before the TUI starts. main maps it onto the engine's, media's and UI's own
// option types; no package below main ever sees the whole config.
//
// Every problem is reported as one error naming the file, the line and the
// key, compiler style:
//
//	config.toml:12: account[1].transport: "sctp" is not one of udp, tcp, tls
//
// Parsing is github.com/BurntSushi/toml's. Decoding into the struct is done
// here, by reflection over the same `toml` tags, so that unknown keys, type
// mismatches and bad values are all reported with the index of the
// [[account]] table and the line they are on (BurntSushi's own decoder knows
// neither for arrays of tables). Lines come from a small scanner over the
// source (keyLines) that tracks table headers, dotted keys and multi-line
// values.
//
// Passwords never appear in an error, a warning or the printed config: they
// are held in a secret, whose every textual form is redacted.

import (
	"bytes"
	"context"
	"encoding"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/BurntSushi/toml"
)

// Defaults. config.example.toml states the same values; config_test.go
// checks that the example loads to exactly these where it does not override.
const (
	defaultTheme         = "auto"
	defaultLogLevel      = "info"
	defaultTransport     = "udp"
	defaultExpires       = 600
	defaultDTMF          = "rfc4733"
	defaultRingTone      = "builtin"
	defaultRTPPortMin    = 10000
	defaultRTPPortMax    = 20000
	defaultRTPTimeout    = 60 * time.Second
	defaultMaxRedirects  = 5
	minExpires           = 60
	maxExpires           = 86400
	maxRedirectsLimit    = 20
	maxConfigSize        = 1 << 20
	passwordCmdOutputMax = 64 << 10
	passwordCmdTimeout   = 30 * time.Second
	passwordCmdWaitDelay = time.Second
	redacted             = "[redacted]"
)

// Allowed values of the enumerated keys, in the order error messages list
// them (functions, so that no caller can change a shared slice).
func knownThemes() []string     { return []string{"auto", "dark", "light", "plain"} }
func knownLogLevels() []string  { return []string{"debug", "info", "warn", "error"} }
func knownTransports() []string { return []string{"udp", "tcp", "tls"} }

// knownDTMFModes: RFC 4733 telephone-events in RTP, or SIP INFO.
func knownDTMFModes() []string { return []string{"rfc4733", "info"} }

// knownCodecs is also the default preference order.
func knownCodecs() []string { return []string{"opus", "G722", "PCMU", "PCMA"} }

// config is the whole configuration file, validated, with defaults filled.
type config struct {
	// Path is the file the configuration was read from; "" when there was
	// none and config holds only defaults (the caller starts the demo).
	Path string `toml:"-"`

	General   generalConfig   `toml:"general"`
	Network   networkConfig   `toml:"network"`
	UI        uiConfig        `toml:"ui"`
	Audio     audioConfig     `toml:"audio"`
	Behaviour behaviourConfig `toml:"behaviour"`
	Presence  presenceConfig  `toml:"presence"`
	Accounts  []accountConfig `toml:"account"`
}

type generalConfig struct {
	LogLevel  string `toml:"log_level"`  // debug | info | warn | error
	UserAgent string `toml:"user_agent"` // "" = the caller's "teaphone/<version>"
}

type networkConfig struct {
	// Listen lists local SIP listeners; none = one ephemeral port per
	// transport the accounts use.
	Listen                []listenAddr `toml:"listen"`
	RTPPortRange          [2]int       `toml:"rtp_port_range"` // inclusive [min, max]
	TLSCAFile             string       `toml:"tls_ca_file"`    // "" = system roots; absolute after load
	TLSCertFile           string       `toml:"tls_cert_file"`  // for tls: listeners
	TLSKeyFile            string       `toml:"tls_key_file"`
	TLSInsecureSkipVerify bool         `toml:"tls_insecure_skip_verify"`
}

type uiConfig struct {
	Theme string `toml:"theme"` // auto | dark | light | plain
}

type audioConfig struct {
	Input        string   `toml:"input"`  // "" = system default
	Output       string   `toml:"output"` // "" = system default
	RingTone     string   `toml:"ring_tone"`
	Codecs       []string `toml:"codecs"`        // canonical names, preference order
	Record       bool     `toml:"record"`        // record every call (off: recording is opt-in)
	RecordingDir string   `toml:"recording_dir"` // absolute after load; "" only if unresolvable
}

type behaviourConfig struct {
	AutoAnswer      bool          `toml:"auto_answer"`
	AutoAnswerDelay time.Duration `toml:"auto_answer_delay"`
	DND             bool          `toml:"dnd"`
	CallWaiting     bool          `toml:"call_waiting"`
	RTPTimeout      time.Duration `toml:"rtp_timeout"` // 0 = off
	FollowRedirects bool          `toml:"follow_redirects"`
	MaxRedirects    int           `toml:"max_redirects"`
}

type presenceConfig struct {
	Publish bool   `toml:"publish"`
	Note    string `toml:"note"`
}

// accountConfig is one [[account]] table. After load, Password holds the
// password whichever way it was given, AuthUser and Codecs are filled.
type accountConfig struct {
	Name          string   `toml:"name"` // "" in the file = user@domain
	DisplayName   string   `toml:"display_name"`
	User          string   `toml:"user"`
	Domain        string   `toml:"domain"`
	AuthUser      string   `toml:"auth_user"`
	Password      secret   `toml:"password"`
	PasswordEnv   string   `toml:"password_env"`
	PasswordCmd   string   `toml:"password_cmd"`
	Register      bool     `toml:"register"`
	Registrar     string   `toml:"registrar"` // "" = the domain, located by RFC 3263
	OutboundProxy string   `toml:"outbound_proxy"`
	Transport     string   `toml:"transport"`
	Expires       int      `toml:"expires"`
	DTMF          string   `toml:"dtmf"`
	Codecs        []string `toml:"codecs"`
}

// listenAddr is one `listen` entry, "transport:host:port".
type listenAddr struct {
	Transport string // udp | tcp | tls
	Addr      string // host:port for net.Listen; host may be empty
}

func (l listenAddr) String() string { return l.Transport + ":" + l.Addr }

// UnmarshalText parses "udp:0.0.0.0:5060", "tcp:[::]:5060", "tls::5061".
func (l *listenAddr) UnmarshalText(b []byte) error {
	s := string(b)
	tr, addr, ok := strings.Cut(s, ":")
	if !ok {
		return fmt.Errorf("%q is not transport:host:port (like \"udp:0.0.0.0:5060\")", s)
	}
	tr, err := oneOfValues(tr, knownTransports())
	if err != nil {
		return fmt.Errorf("%q: transport %w", s, err)
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("%q is not transport:host:port (like \"udp:0.0.0.0:5060\")", s)
	}
	if host != "" && net.ParseIP(host) == nil {
		return fmt.Errorf("%q: host must be an IP address or empty", s)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return fmt.Errorf("%q: port must be 0..65535", s)
	}
	*l = listenAddr{Transport: tr, Addr: net.JoinHostPort(host, port)}
	return nil
}

// secret holds a password. Every way of printing or marshalling it (String,
// GoString, Format with any verb, MarshalText, slog) yields "[redacted]" (or
// "" when unset); only Reveal returns the value. The value sits behind a
// pointer so that even reflection-based printing of an unexported copy shows
// an address, not the password.
type secret struct{ p *string }

func newSecret(s string) secret {
	if s == "" {
		return secret{}
	}
	return secret{p: &s}
}

// Reveal returns the password, for the digest code only.
func (s secret) Reveal() string {
	if s.p == nil {
		return ""
	}
	return *s.p
}

// IsSet reports whether a non-empty password is held.
func (s secret) IsSet() bool { return s.p != nil && *s.p != "" }

func (s secret) String() string {
	if !s.IsSet() {
		return ""
	}
	return redacted
}

func (s secret) GoString() string              { return strconv.Quote(s.String()) }
func (s secret) Format(f fmt.State, verb rune) { _, _ = io.WriteString(f, s.String()) }
func (s secret) MarshalText() ([]byte, error)  { return []byte(s.String()), nil }
func (s secret) LogValue() slog.Value          { return slog.StringValue(s.String()) }
func (s *secret) UnmarshalText(b []byte) error { *s = newSecret(string(b)); return nil }

// redactValue replaces every occurrence of value in msg.
func redactValue(msg, value string) string {
	if value == "" {
		return msg
	}
	return strings.ReplaceAll(msg, value, redacted)
}

// warning is a problem that does not stop teaphone, shown before the TUI
// starts. Line and Key are zero when the warning is about the whole file.
type warning struct {
	File string
	Line int
	Key  string
	Msg  string
}

// String formats the warning like an error; a warning about the whole file
// (no line, no key) names the file in its message and is the message alone.
func (w warning) String() string {
	if w.Line == 0 && w.Key == "" {
		return w.Msg
	}
	return formatPos(w.File, w.Line, w.Key, w.Msg)
}

// configError is the one error a bad configuration produces.
type configError struct {
	File string
	Line int
	Key  string
	Msg  string
	Err  error // the cause, if any (never carries a password)
}

func (e *configError) Error() string { return formatPos(e.File, e.Line, e.Key, e.Msg) }
func (e *configError) Unwrap() error { return e.Err }

func formatPos(file string, line int, key, msg string) string {
	var b strings.Builder
	b.WriteString(file)
	if line > 0 {
		fmt.Fprintf(&b, ":%d", line)
	}
	b.WriteString(": ")
	if key != "" {
		b.WriteString(key)
		b.WriteString(": ")
	}
	b.WriteString(msg)
	return b.String()
}

// defaultConfig returns the configuration used when no file exists, and the
// base every file is decoded onto.
func defaultConfig() *config {
	return &config{
		General: generalConfig{LogLevel: defaultLogLevel},
		Network: networkConfig{RTPPortRange: [2]int{defaultRTPPortMin, defaultRTPPortMax}},
		UI:      uiConfig{Theme: defaultTheme},
		Audio: audioConfig{
			RingTone: defaultRingTone,
			Codecs:   knownCodecs(),
		},
		Behaviour: behaviourConfig{
			CallWaiting:     true,
			RTPTimeout:      defaultRTPTimeout,
			FollowRedirects: true,
			MaxRedirects:    defaultMaxRedirects,
		},
	}
}

// setDefaults fills a fresh [[account]] table before the file's keys are
// decoded onto it.
func (a *accountConfig) setDefaults() {
	*a = accountConfig{
		Register:  true,
		Transport: defaultTransport,
		Expires:   defaultExpires,
		DTMF:      defaultDTMF,
	}
}

type defaulter interface{ setDefaults() }

// loadOptions are loadConfig's knobs; tests shorten the command timeout.
type loadOptions struct {
	env        func(string) string // "" for unset
	cmdTimeout time.Duration       // for password_cmd
	// runCmd runs a password_cmd; nil = runPasswordCmd. The fuzz target
	// replaces it so that no generated command is ever run.
	runCmd func(command string, timeout time.Duration) (string, error)
}

// loadConfig reads and validates the configuration file at path. An empty
// path means the default location ($XDG_CONFIG_HOME/teaphone/config.toml);
// if that file does not exist, loadConfig returns the defaults with Path ""
// and no error (the caller starts the offline demo). A path given explicitly
// (--config) must exist. env looks up environment variables (os.Getenv).
//
// The error, if any, is a *configError naming the file, line and key of the
// first problem in the file. Warnings (a password in a file others can read,
// TLS verification off) do not stop teaphone; the caller shows them.
func loadConfig(path string, env func(string) string) (*config, []warning, error) {
	return loadConfigWith(path, loadOptions{env: env, cmdTimeout: passwordCmdTimeout})
}

func loadConfigWith(path string, opts loadOptions) (*config, []warning, error) {
	explicit := path != ""
	if !explicit {
		p, err := resolvePaths(opts.env)
		if err != nil {
			return nil, nil, fmt.Errorf("locate the config file: %w", err)
		}
		path = p.ConfigFile
	}
	src, mode, err := readConfigFile(path)
	if errors.Is(err, fs.ErrNotExist) && !explicit {
		cfg := defaultConfig()
		cfg.fillPaths("", opts.env)
		return cfg, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	cfg, err := parseConfig(path, src, opts)
	if err != nil {
		return nil, nil, err
	}
	cfg.Path = path
	return cfg, cfg.warnings(path, src, mode), nil
}

func readConfigFile(path string) ([]byte, fs.FileMode, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, fmt.Errorf("read config: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, 0, fmt.Errorf("read config: %w", err)
	}
	if st.IsDir() {
		return nil, 0, fmt.Errorf("read config: %s is a directory", path)
	}
	src, err := io.ReadAll(io.LimitReader(f, maxConfigSize+1))
	if err != nil {
		return nil, 0, fmt.Errorf("read config: %w", err)
	}
	if len(src) > maxConfigSize {
		return nil, 0, fmt.Errorf("read config: %s is larger than %d bytes", path, maxConfigSize)
	}
	return src, st.Mode().Perm(), nil
}

// parseConfig parses, decodes and validates src, then resolves the
// passwords given by environment variable or command.
func parseConfig(file string, src []byte, opts loadOptions) (*config, error) {
	lines := scanKeyLines(string(src))
	var raw map[string]any
	if _, err := toml.Decode(string(src), &raw); err != nil {
		return nil, syntaxError(file, lines, string(src), err)
	}
	d := &cfgDecoder{lines: lines}
	cfg := defaultConfig()
	d.decodeTable(reflect.ValueOf(cfg).Elem(), raw, "")
	if p := d.first(); p != nil {
		return nil, &configError{File: file, Line: p.line, Key: p.key, Msg: p.msg}
	}
	cfg.fillPaths(filepath.Dir(file), opts.env)
	cfg.validate(d)
	if p := d.first(); p != nil {
		return nil, &configError{File: file, Line: p.line, Key: p.key, Msg: p.msg}
	}
	if err := cfg.resolveSecrets(file, lines, opts); err != nil {
		return nil, err
	}
	return cfg, nil
}

// syntaxError turns a TOML parse error into a configError. The parser
// quotes the text it stumbled on, so on a line that sets a password the
// message is withheld.
func syntaxError(file string, lines keyLines, src string, err error) error {
	var pe toml.ParseError
	if !errors.As(err, &pe) {
		return &configError{File: file, Msg: "invalid TOML"}
	}
	line := pe.Position.Line
	// The parser counts an offending newline as the start of the next
	// line; the mistake is on the line that newline ends.
	if st := pe.Position.Start; st >= 0 && st < len(src) {
		line = 1 + strings.Count(src[:st], "\n")
	}
	key := lines.byLine[line]
	if key == "" {
		key = pe.LastKey
	}
	if key == "" { // a broken table header names the table it starts
		if ls := strings.Split(src, "\n"); line-1 < len(ls) {
			key = strings.Trim(strings.TrimSpace(ls[line-1]), "[] \t\r")
		}
	}
	msg := pe.Message
	if msg != "" {
		msg = strings.ToLower(msg[:1]) + strings.TrimSuffix(msg[1:], ".")
	}
	if lastKeyPart(key) == "password" || lastKeyPart(pe.LastKey) == "password" ||
		passwordLine(src, line) {
		msg = "invalid TOML value (details withheld: this line sets a password)"
	}
	return &configError{File: file, Line: line, Key: key, Msg: msg}
}

func lastKeyPart(key string) string {
	if i := strings.LastIndexByte(key, '.'); i >= 0 {
		return key[i+1:]
	}
	return key
}

// passwordLine reports whether line n (1-based) of src looks like it sets a
// password key.
func passwordLine(src string, n int) bool {
	for i, l := range strings.Split(src, "\n") {
		if i+1 == n {
			k, _, ok := strings.Cut(l, "=")
			return ok && strings.Contains(strings.ToLower(k), "password")
		}
	}
	return false
}

// fillPaths resolves the file paths in cfg: "~/" is the home directory and a
// relative path is relative to the config file's directory (dir). An unset
// recording_dir becomes $XDG_DATA_HOME/teaphone/recordings.
func (c *config) fillPaths(dir string, env func(string) string) {
	fix := func(p string) string {
		if p == "" {
			return ""
		}
		if p == "~" || strings.HasPrefix(p, "~/") {
			if home := env("HOME"); home != "" {
				return filepath.Join(home, p[1:])
			}
			return p
		}
		if !filepath.IsAbs(p) && dir != "" {
			if abs, err := filepath.Abs(filepath.Join(dir, p)); err == nil {
				return abs
			}
		}
		return p
	}
	if c.Audio.RingTone != defaultRingTone {
		c.Audio.RingTone = fix(c.Audio.RingTone)
	}
	c.Audio.RecordingDir = fix(c.Audio.RecordingDir)
	if c.Audio.RecordingDir == "" {
		if p, err := resolvePaths(env); err == nil {
			c.Audio.RecordingDir = p.RecordingsDir
		}
	}
	c.Network.TLSCAFile = fix(c.Network.TLSCAFile)
	c.Network.TLSCertFile = fix(c.Network.TLSCertFile)
	c.Network.TLSKeyFile = fix(c.Network.TLSKeyFile)
}

// validate checks what the types cannot: ranges, URIs, files, uniqueness
// and combinations. Problems go to d with their key; d picks the first.
func (c *config) validate(d *cfgDecoder) {
	n := &c.Network
	if lo, hi := n.RTPPortRange[0], n.RTPPortRange[1]; lo < 1024 || hi > 65535 || hi-lo < 1 {
		d.fail("network.rtp_port_range", "[%d, %d] must be [min, max] with 1024 <= min < max <= 65535", lo, hi)
	}
	seen := map[string]int{}
	hasTLSListener := false
	for i, l := range n.Listen {
		if j, dup := seen[l.String()]; dup {
			d.fail(fmt.Sprintf("network.listen[%d]", i), "%q is already listed as network.listen[%d]", l.String(), j)
		}
		seen[l.String()] = i
		hasTLSListener = hasTLSListener || l.Transport == "tls"
	}
	for _, f := range []struct{ key, path string }{
		{"network.tls_ca_file", n.TLSCAFile},
		{"network.tls_cert_file", n.TLSCertFile},
		{"network.tls_key_file", n.TLSKeyFile},
	} {
		checkFile(d, f.key, f.path)
	}
	if hasTLSListener && (n.TLSCertFile == "" || n.TLSKeyFile == "") {
		d.fail("network.listen", "a tls listener needs network.tls_cert_file and network.tls_key_file")
	}
	if (n.TLSCertFile == "") != (n.TLSKeyFile == "") {
		d.fail("network.tls_cert_file", "tls_cert_file and tls_key_file go together")
	}
	if c.Audio.RingTone != defaultRingTone {
		checkFile(d, "audio.ring_tone", c.Audio.RingTone)
	}
	if len(c.Audio.Codecs) == 0 {
		d.fail("audio.codecs", "needs at least one codec (known: %s)", strings.Join(knownCodecs(), ", "))
	}
	checkCodecs(d, "audio.codecs", c.Audio.Codecs)
	b := &c.Behaviour
	if b.FollowRedirects && (b.MaxRedirects < 1 || b.MaxRedirects > maxRedirectsLimit) {
		d.fail("behaviour.max_redirects", "%d is out of range 1..%d", b.MaxRedirects, maxRedirectsLimit)
	}
	names := map[string]int{}
	for i := range c.Accounts {
		a := &c.Accounts[i]
		key := func(k string) string { return fmt.Sprintf("account[%d].%s", i, k) }
		a.validate(d, key)
		if a.Name == "" && a.User != "" && a.Domain != "" {
			a.Name = a.User + "@" + a.Domain
		}
		if j, dup := names[strings.ToLower(a.Name)]; dup && a.Name != "" {
			d.fail(key("name"), "%q is already the name of account[%d]", a.Name, j)
		} else {
			names[strings.ToLower(a.Name)] = i
		}
		if a.AuthUser == "" {
			a.AuthUser = a.User
		}
		if len(a.Codecs) == 0 {
			a.Codecs = slices.Clone(c.Audio.Codecs)
		}
	}
}

func (a *accountConfig) validate(d *cfgDecoder, key func(string) string) {
	switch {
	case a.User == "":
		d.fail(key("user"), "is required (the user part of your SIP address)")
	case strings.ContainsAny(a.User, "@ \t<>\""):
		d.fail(key("user"), "%q must be the user part only (the domain goes in domain)", a.User)
	}
	switch {
	case a.Domain == "":
		d.fail(key("domain"), "is required (a host name or IP address)")
	case !validHostPort(a.Domain):
		d.fail(key("domain"), "%q is not a host name or IP address (with an optional port)", a.Domain)
	}
	set := 0
	for _, s := range []bool{a.Password.IsSet(), a.PasswordEnv != "", a.PasswordCmd != ""} {
		if s {
			set++
		}
	}
	if set > 1 {
		k := "password_env"
		if a.PasswordCmd != "" {
			k = "password_cmd"
		}
		d.fail(key(k), "set only one of password, password_env and password_cmd")
	}
	if a.PasswordEnv != "" && !validEnvName(a.PasswordEnv) {
		d.fail(key("password_env"), "%q is not an environment variable name", a.PasswordEnv)
	}
	var registrarScheme string
	if a.Registrar != "" {
		registrarScheme = checkSIPURI(d, key("registrar"), a.Registrar)
	}
	proxyScheme := ""
	if a.OutboundProxy != "" {
		proxyScheme = checkSIPURI(d, key("outbound_proxy"), a.OutboundProxy)
	}
	// RFC 3261 §26.2.2: a SIPS URI is reached over TLS only.
	if a.Transport != "tls" {
		if registrarScheme == "sips" {
			d.fail(key("registrar"), "a sips: URI needs transport = \"tls\" (transport is %q)", a.Transport)
		}
		if proxyScheme == "sips" {
			d.fail(key("outbound_proxy"), "a sips: URI needs transport = \"tls\" (transport is %q)", a.Transport)
		}
	}
	if a.Register && (a.Expires < minExpires || a.Expires > maxExpires) {
		d.fail(key("expires"), "%d is out of range %d..%d (set register = false not to register)", a.Expires, minExpires, maxExpires)
	}
	checkCodecs(d, key("codecs"), a.Codecs)
}

func checkFile(d *cfgDecoder, key, path string) {
	if path == "" {
		return
	}
	st, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		d.fail(key, "%s does not exist", path)
	case err != nil:
		d.fail(key, "%s: %v", path, errors.Unwrap(err))
	case st.IsDir():
		d.fail(key, "%s is a directory, not a file", path)
	}
}

func checkCodecs(d *cfgDecoder, key string, codecs []string) {
	seen := map[string]int{}
	for i, c := range codecs {
		if j, dup := seen[c]; dup {
			d.fail(fmt.Sprintf("%s[%d]", key, i), "%q is already listed as %s[%d]", c, key, j)
		}
		seen[c] = i
	}
}

// checkSIPURI checks a registrar or outbound proxy URI: the sip: or sips:
// scheme (RFC 3261 §19.1.1) and a host with an optional port. Parameters and
// headers are accepted as they are. It returns the lower-case scheme.
func checkSIPURI(d *cfgDecoder, key, uri string) string {
	scheme, rest, ok := strings.Cut(uri, ":")
	scheme = strings.ToLower(scheme)
	if !ok || (scheme != "sip" && scheme != "sips") {
		d.fail(key, "%q is not a SIP URI (like \"sip:host\" or \"sips:host:5061\")", uri)
		return ""
	}
	hostport, _, _ := strings.Cut(rest, ";")
	hostport, _, _ = strings.Cut(hostport, "?")
	if i := strings.LastIndexByte(hostport, '@'); i >= 0 {
		hostport = hostport[i+1:]
	}
	if !validHostPort(hostport) {
		d.fail(key, "%q has no valid host", uri)
		return ""
	}
	return scheme
}

// validHostPort accepts host, host:port, an IPv4 address or a bracketed
// IPv6 reference, with port 1..65535 (RFC 3261 §25.1 hostport).
func validHostPort(s string) bool {
	host, port := s, ""
	if strings.HasPrefix(s, "[") {
		end := strings.IndexByte(s, ']')
		if end < 0 || net.ParseIP(s[1:end]) == nil {
			return false
		}
		host, port = "", s[end+1:]
		if port != "" && !strings.HasPrefix(port, ":") {
			return false
		}
		port = strings.TrimPrefix(port, ":")
		return port == "" || validPort(port)
	}
	if i := strings.LastIndexByte(s, ':'); i >= 0 {
		host, port = s[:i], s[i+1:]
		if !validPort(port) {
			return false
		}
	}
	return validHostname(host)
}

func validPort(p string) bool {
	n, err := strconv.Atoi(p)
	return err == nil && n >= 1 && n <= 65535 && p[0] != '+'
}

// validHostname checks RFC 3261 §25.1 hostname / IPv4address: dot-separated
// labels of letters, digits and inner hyphens.
func validHostname(h string) bool {
	h = strings.TrimSuffix(h, ".")
	if h == "" || len(h) > 253 {
		return false
	}
	for _, label := range strings.Split(h, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, r := range label {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-') {
				return false
			}
		}
	}
	return true
}

func validEnvName(s string) bool {
	for i, r := range s {
		if !(r == '_' || r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || i > 0 && r >= '0' && r <= '9') {
			return false
		}
	}
	return s != ""
}

// resolveSecrets reads the passwords given by password_env and password_cmd,
// in file order. Errors name the variable or the command's exit status,
// never a value or the command's output.
func (c *config) resolveSecrets(file string, lines keyLines, opts loadOptions) error {
	fail := func(key, msg string, err error) error {
		return &configError{File: file, Line: lines.lineOf(key), Key: key, Msg: msg, Err: err}
	}
	for i := range c.Accounts {
		a := &c.Accounts[i]
		switch {
		case a.PasswordEnv != "":
			v := opts.env(a.PasswordEnv)
			if v == "" {
				return fail(fmt.Sprintf("account[%d].password_env", i),
					fmt.Sprintf("environment variable %s is not set or empty", a.PasswordEnv), nil)
			}
			a.Password = newSecret(v)
		case a.PasswordCmd != "":
			key := fmt.Sprintf("account[%d].password_cmd", i)
			run := opts.runCmd
			if run == nil {
				run = runPasswordCmd
			}
			v, err := run(a.PasswordCmd, opts.cmdTimeout)
			if err != nil {
				return fail(key, err.Error(), errors.Unwrap(err))
			}
			a.Password = newSecret(v)
		}
	}
	return nil
}

// errPasswordCmd is wrapped by every password_cmd failure.
var errPasswordCmd = errors.New("command failed")

// runPasswordCmd runs command with `sh -c` in its own process group, and
// returns the first line of its standard output. Standard input is
// /dev/null, standard error is discarded, and the output is never part of an
// error: it may hold the password. On timeout the whole process group is
// killed (before the shell is reaped, so the group id is still ours).
func runPasswordCmd(command string, timeout time.Duration) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "/bin/sh", "-c", command)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = passwordCmdWaitDelay
	out := &capBuffer{max: passwordCmdOutputMax}
	cmd.Stdout = out
	err := cmd.Run()
	switch {
	case ctx.Err() != nil:
		return "", fmt.Errorf("%w: no answer after %v (killed)", errPasswordCmd, timeout)
	case err != nil:
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return "", fmt.Errorf("%w: %s", errPasswordCmd, ee.ProcessState.String())
		}
		return "", fmt.Errorf("%w: %s", errPasswordCmd, redactValue(err.Error(), out.String()))
	case out.overflow:
		return "", fmt.Errorf("%w: output is longer than %d bytes", errPasswordCmd, passwordCmdOutputMax)
	}
	line, _, _ := strings.Cut(out.String(), "\n")
	line = strings.TrimRight(line, "\r")
	if line == "" {
		return "", fmt.Errorf("%w: it printed no password", errPasswordCmd)
	}
	return line, nil
}

// capBuffer keeps at most max bytes and notes whether more came.
type capBuffer struct {
	buf      bytes.Buffer
	max      int
	overflow bool
}

func (b *capBuffer) Write(p []byte) (int, error) {
	if room := b.max - b.buf.Len(); len(p) > room {
		b.overflow = true
		b.buf.Write(p[:max(room, 0)])
		return len(p), nil
	}
	return b.buf.Write(p)
}

func (b *capBuffer) String() string { return b.buf.String() }

// warnings lists what is worth telling the user but not fatal.
func (c *config) warnings(file string, src []byte, mode fs.FileMode) []warning {
	var ws []warning
	inline := false
	for _, a := range c.Accounts {
		inline = inline || (a.PasswordEnv == "" && a.PasswordCmd == "" && a.Password.IsSet())
	}
	if inline && mode&0o077 != 0 {
		ws = append(ws, warning{File: file, Msg: fmt.Sprintf(
			"%s is readable by others and holds a password; run chmod 600 %s", file, file)})
	}
	if c.Network.TLSInsecureSkipVerify {
		lines := scanKeyLines(string(src))
		ws = append(ws, warning{File: file, Line: lines.lineOf("network.tls_insecure_skip_verify"),
			Key: "network.tls_insecure_skip_verify",
			Msg: "TLS certificates are not verified: anyone on the path can read and change your calls"})
	}
	return ws
}

// ---- decoding ----------------------------------------------------------

// cfgProblem is one thing wrong with the file; cfgDecoder keeps them all and
// reports the first by line.
type cfgProblem struct {
	line     int
	key, msg string
}

type cfgDecoder struct {
	lines keyLines
	probs []cfgProblem
}

func (d *cfgDecoder) fail(key, format string, args ...any) {
	d.probs = append(d.probs, cfgProblem{line: d.lines.lineOf(key), key: key, msg: fmt.Sprintf(format, args...)})
}

// first returns the problem earliest in the file (nil if none).
func (d *cfgDecoder) first() *cfgProblem {
	if len(d.probs) == 0 {
		return nil
	}
	sort.SliceStable(d.probs, func(i, j int) bool {
		li, lj := d.probs[i].line, d.probs[j].line
		if li == 0 || lj == 0 {
			return lj == 0 && li != 0
		}
		return li < lj
	})
	return &d.probs[0]
}

var (
	textUnmarshalerType = reflect.TypeFor[encoding.TextUnmarshaler]()
	defaulterType       = reflect.TypeFor[defaulter]()
	durationType        = reflect.TypeFor[time.Duration]()
)

// tomlFields maps the toml tag of each field of struct type t to its index.
func tomlFields(t reflect.Type) map[string]int {
	m := make(map[string]int, t.NumField())
	for i := range t.NumField() {
		tag, _, _ := strings.Cut(t.Field(i).Tag.Get("toml"), ",")
		if tag != "" && tag != "-" {
			m[tag] = i
		}
	}
	return m
}

func joinKey(path, k string) string {
	if path == "" {
		return k
	}
	return path + "." + k
}

// decodeTable decodes the TOML table m onto the struct rv.
func (d *cfgDecoder) decodeTable(rv reflect.Value, m map[string]any, path string) {
	fields := tomlFields(rv.Type())
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		key := joinKey(path, k)
		i, ok := fields[k]
		if !ok {
			what := "unknown key"
			switch m[k].(type) {
			case map[string]any, []map[string]any:
				what = "unknown table"
			}
			if s := suggestKey(k, fields); s != "" {
				what += fmt.Sprintf(" (did you mean %q?)", s)
			}
			d.fail(key, "%s", what)
			continue
		}
		d.decodeValue(rv.Field(i), m[k], key)
	}
}

// decodeValue decodes one TOML value v onto fv, checking its type.
func (d *cfgDecoder) decodeValue(fv reflect.Value, v any, key string) {
	t := fv.Type()
	if reflect.PointerTo(t).Implements(textUnmarshalerType) {
		s, ok := v.(string)
		if !ok {
			d.fail(key, "expected a string, got %s", tomlType(v))
			return
		}
		if err := fv.Addr().Interface().(encoding.TextUnmarshaler).UnmarshalText([]byte(s)); err != nil {
			d.fail(key, "%v", err)
		}
		return
	}
	if t == durationType {
		s, ok := v.(string)
		if !ok {
			d.fail(key, "expected a duration string like \"2s\", got %s", tomlType(v))
			return
		}
		dur, err := time.ParseDuration(s)
		if err != nil || dur < 0 {
			d.fail(key, "%q is not a duration (like \"0s\", \"2s\" or \"1m30s\")", s)
			return
		}
		fv.SetInt(int64(dur))
		return
	}
	switch t.Kind() {
	case reflect.String:
		s, ok := v.(string)
		if !ok {
			d.fail(key, "expected a string, got %s", tomlType(v))
			return
		}
		if en := enumFor(key); en != nil {
			c, err := oneOfValues(s, en)
			if err != nil {
				d.fail(key, "%v", err)
				return
			}
			s = c
		}
		fv.SetString(s)
	case reflect.Bool:
		b, ok := v.(bool)
		if !ok {
			d.fail(key, "expected true or false, got %s", tomlType(v))
			return
		}
		fv.SetBool(b)
	case reflect.Int:
		n, ok := v.(int64)
		if !ok {
			d.fail(key, "expected an integer, got %s", tomlType(v))
			return
		}
		fv.SetInt(n)
	case reflect.Struct:
		m, ok := v.(map[string]any)
		if !ok {
			d.fail(key, "expected a table [%s], got %s", key, tomlType(v))
			return
		}
		d.decodeTable(fv, m, key)
	case reflect.Array:
		arr, ok := v.([]any)
		if !ok || len(arr) != t.Len() {
			d.fail(key, "expected an array of %d %ss", t.Len(), kindName(t.Elem()))
			return
		}
		for i, e := range arr {
			d.decodeValue(fv.Index(i), e, fmt.Sprintf("%s[%d]", key, i))
		}
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Struct && !reflect.PointerTo(t.Elem()).Implements(textUnmarshalerType) {
			d.decodeTables(fv, v, key)
			return
		}
		arr, ok := v.([]any)
		if !ok {
			d.fail(key, "expected an array of %ss, got %s", kindName(t.Elem()), tomlType(v))
			return
		}
		out := reflect.MakeSlice(t, len(arr), len(arr))
		for i, e := range arr {
			d.decodeValue(out.Index(i), e, fmt.Sprintf("%s[%d]", key, i))
		}
		fv.Set(out)
	default:
		d.fail(key, "internal error: cannot decode into %s", t)
	}
}

// decodeTables decodes an array of tables ([[account]]) onto the slice fv.
// Each element starts from its setDefaults.
func (d *cfgDecoder) decodeTables(fv reflect.Value, v any, key string) {
	var tables []map[string]any
	switch x := v.(type) {
	case []map[string]any:
		tables = x
	case []any:
		for _, e := range x {
			m, ok := e.(map[string]any)
			if !ok {
				d.fail(key, "expected [[%s]] tables, got an array of %ss", key, tomlType(e))
				return
			}
			tables = append(tables, m)
		}
	default:
		d.fail(key, "expected [[%s]] tables, got %s", key, tomlType(v))
		return
	}
	t := fv.Type()
	out := reflect.MakeSlice(t, len(tables), len(tables))
	for i, m := range tables {
		el := out.Index(i)
		if el.Addr().Type().Implements(defaulterType) {
			el.Addr().Interface().(defaulter).setDefaults()
		}
		d.decodeTable(el, m, fmt.Sprintf("%s[%d]", key, i))
	}
	fv.Set(out)
}

// enumFor returns the allowed values of an enumerated string key.
func enumFor(key string) []string {
	if strings.HasPrefix(key, "account[") {
		_, rest, _ := strings.Cut(key, "].")
		key = "account." + rest
	}
	if i := strings.IndexByte(key, '['); i >= 0 {
		key = key[:i] + "[]"
	}
	switch key {
	case "ui.theme":
		return knownThemes()
	case "general.log_level":
		return knownLogLevels()
	case "account.transport":
		return knownTransports()
	case "account.dtmf":
		return knownDTMFModes()
	case "audio.codecs[]", "account.codecs[]":
		return knownCodecs()
	}
	return nil
}

// oneOfValues matches s case-insensitively against allowed and returns the
// canonical spelling.
func oneOfValues(s string, allowed []string) (string, error) {
	for _, a := range allowed {
		if strings.EqualFold(s, a) {
			return a, nil
		}
	}
	return "", fmt.Errorf("%q is not one of %s", s, strings.Join(allowed, ", "))
}

// tomlType names the TOML type of a decoded value, for messages.
func tomlType(v any) string {
	switch v.(type) {
	case string:
		return "a string"
	case int64:
		return "an integer"
	case float64:
		return "a float"
	case bool:
		return "a boolean"
	case []map[string]any:
		return "an array of tables"
	case []any:
		return "an array"
	case map[string]any:
		return "a table"
	default:
		return "a date/time"
	}
}

func kindName(t reflect.Type) string {
	switch {
	case reflect.PointerTo(t).Implements(textUnmarshalerType), t.Kind() == reflect.String:
		return "string"
	case t.Kind() == reflect.Int:
		return "integer"
	case t.Kind() == reflect.Bool:
		return "boolean"
	}
	return t.Kind().String()
}

// suggestKey returns the known key closest to k, if it is a likely typo.
func suggestKey(k string, fields map[string]int) string {
	best, bestDist := "", 3
	for f := range fields {
		if dist := editDistance(strings.ToLower(k), f); dist < bestDist || dist == bestDist && f < best {
			best, bestDist = f, dist
		}
	}
	if bestDist > 2 || bestDist >= len(k) {
		return ""
	}
	return best
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// ---- key → line --------------------------------------------------------

// keyLines knows the line of every key and table header in a TOML source,
// by the paths the decoder uses ("account[1].transport", "audio.codecs").
// BurntSushi's MetaData knows positions only for keys without the index of
// their array of tables, so this scanner is ours. It is tolerant: on a
// broken file it records what it can.
type keyLines struct {
	at     map[string]int // path → first line (1-based)
	byLine map[int]string // line → path of the key set on it
}

// lineOf returns the line of key, or of its closest enclosing key or table
// that has one (an element of an array value is on its array's line, a key
// inside an inline table on the table's line). 0 if none.
func (kl keyLines) lineOf(key string) int {
	for key != "" {
		if n, ok := kl.at[key]; ok {
			return n
		}
		if i := strings.LastIndexByte(key, '['); i > 0 && strings.HasSuffix(key, "]") && isArrayIndex(key[i+1:len(key)-1]) {
			key = key[:i]
			continue
		}
		i := strings.LastIndexByte(key, '.')
		if i < 0 {
			break
		}
		key = key[:i]
	}
	return 0
}

func isArrayIndex(s string) bool {
	_, err := strconv.Atoi(s)
	return err == nil && s != "" && s[0] != '-' && s[0] != '+'
}

func scanKeyLines(src string) keyLines {
	kl := keyLines{at: map[string]int{}, byLine: map[int]string{}}
	src = strings.TrimPrefix(src, "\ufeff") // a UTF-8 byte order mark
	record := func(path string, line int) {
		if _, ok := kl.at[path]; !ok {
			kl.at[path] = line
		}
	}
	arrays := map[string]int{} // array-of-tables path → tables so far
	// resolve turns header parts into a path, adding the current index of
	// every array of tables it passes through.
	resolve := func(parts []string) string {
		p := ""
		for _, part := range parts {
			p = joinKey(p, part)
			if n, ok := arrays[p]; ok {
				p += fmt.Sprintf("[%d]", n-1)
			}
		}
		return p
	}
	st := valueScan{record: record}
	current := ""
	for i, line := range strings.Split(src, "\n") {
		n := i + 1
		if st.open() {
			st.scan(line, n)
			continue
		}
		s := strings.TrimSpace(line)
		switch {
		case s == "" || s[0] == '#':
		case strings.HasPrefix(s, "[["):
			parts, _, ok := parseKey(s[2:], ']')
			if !ok || len(parts) == 0 {
				continue
			}
			base := joinKey(resolve(parts[:len(parts)-1]), parts[len(parts)-1])
			arrays[base]++
			record(base, n)
			current = fmt.Sprintf("%s[%d]", base, arrays[base]-1)
			record(current, n)
		case s[0] == '[':
			parts, _, ok := parseKey(s[1:], ']')
			if !ok || len(parts) == 0 {
				continue
			}
			current = resolve(parts)
			record(current, n)
		default:
			parts, rest, ok := parseKey(s, '=')
			if !ok || len(parts) == 0 {
				continue
			}
			p := current
			for _, part := range parts {
				p = joinKey(p, part)
				record(p, n)
			}
			kl.byLine[n] = p
			st.start(p, rest, n)
		}
	}
	return kl
}

// parseKey parses a TOML key (bare, "basic" or 'literal' parts joined by
// dots) up to the terminator, and returns its parts and the text after the
// terminator.
func parseKey(s string, term byte) (parts []string, rest string, ok bool) {
	i := 0
	for {
		for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
			i++
		}
		if i >= len(s) {
			return nil, "", false
		}
		switch c := s[i]; {
		case c == '"':
			j := i + 1
			var b strings.Builder
			for j < len(s) && s[j] != '"' {
				if s[j] == '\\' && j+1 < len(s) {
					j++
				}
				b.WriteByte(s[j])
				j++
			}
			if j >= len(s) {
				return nil, "", false
			}
			parts = append(parts, b.String())
			i = j + 1
		case c == '\'':
			j := strings.IndexByte(s[i+1:], '\'')
			if j < 0 {
				return nil, "", false
			}
			parts = append(parts, s[i+1:i+1+j])
			i += j + 2
		default:
			j := i
			for j < len(s) && isBareKeyChar(s[j]) {
				j++
			}
			if j == i {
				return nil, "", false
			}
			parts = append(parts, s[i:j])
			i = j
		}
		for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
			i++
		}
		if i >= len(s) {
			return nil, "", false
		}
		switch s[i] {
		case '.':
			i++
		case term:
			return parts, s[i+1:], true
		default:
			return nil, "", false
		}
	}
}

func isBareKeyChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-'
}

// valueScan follows a TOML value across lines: open multi-line strings and
// unclosed arrays or inline tables. For an array value it records the line
// of each element as key[i].
type valueScan struct {
	mlDelim string // `"""` or `'''` while inside a multi-line string
	depth   int    // open [ and {
	key     string // the key whose value this is
	array   bool   // the value is an array: count its elements
	elem    int    // elements of the array so far
	expect  bool   // the next value at depth 1 starts an element
	record  func(path string, line int)
}

func (v *valueScan) open() bool { return v.mlDelim != "" || v.depth > 0 }

// start begins the value of key, whose text on line n is s.
func (v *valueScan) start(key, s string, n int) {
	v.key, v.elem, v.expect = key, 0, false
	v.array = strings.HasPrefix(strings.TrimLeft(s, " \t"), "[")
	v.scan(s, n)
}

func (v *valueScan) scan(s string, n int) {
	i := 0
	for i < len(s) {
		if v.mlDelim != "" {
			j := strings.Index(s[i:], v.mlDelim)
			if j < 0 {
				return
			}
			if v.mlDelim == `"""` && j > 0 && s[i+j-1] == '\\' {
				i += j + 1
				continue
			}
			i += j + 3
			for i < len(s) && s[i] == v.mlDelim[0] {
				i++
			}
			v.mlDelim = ""
			continue
		}
		c := s[i]
		if c == ' ' || c == '\t' || c == '\r' {
			i++
			continue
		}
		if v.array && v.depth == 1 {
			switch {
			case c == ',':
				v.expect = true
			case c != '#' && c != ']' && v.expect:
				v.record(fmt.Sprintf("%s[%d]", v.key, v.elem), n)
				v.elem++
				v.expect = false
			}
		}
		switch {
		case c == '#':
			return
		case strings.HasPrefix(s[i:], `"""`), strings.HasPrefix(s[i:], `'''`):
			v.mlDelim = s[i : i+3]
			i += 3
		case c == '"':
			i++
			for i < len(s) && s[i] != '"' {
				if s[i] == '\\' {
					i++
				}
				i++
			}
			i++
		case c == '\'':
			j := strings.IndexByte(s[i+1:], '\'')
			if j < 0 {
				return
			}
			i += j + 2
		case c == '[' || c == '{':
			v.depth++
			if v.depth == 1 && v.array {
				v.expect = true
			}
			i++
		case c == ']' || c == '}':
			if v.depth > 0 {
				v.depth--
			}
			i++
		default:
			i++
		}
	}
}
