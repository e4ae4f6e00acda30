package interop

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// User is a SIP account known to the registrar.
type User struct {
	Name     string
	Password string
}

// DefaultUsers are the accounts StartKamailio creates when
// KamailioOptions.Users is empty.
func DefaultUsers() []User {
	return []User{{"alice", "alicepw"}, {"bob", "bobpw"}, {"carol", "carolpw"}}
}

// KamailioOptions configures StartKamailio. The zero value is a registrar,
// proxy and presence server challenging REGISTER with 401 and other
// requests from local users with 407, digest without qop.
type KamailioOptions struct {
	Users        []User        // default DefaultUsers()
	QOP          bool          // challenge with qop="auth" (RFC 7616 §3.3)
	NoProxyAuth  bool          // do not challenge INVITE/MESSAGE/SUBSCRIBE/PUBLISH
	Debug        bool          // debug=3 (very verbose log)
	StartTimeout time.Duration // bound for start + first OPTIONS answer; default 15 s
	// Netns runs kamailio inside that network namespace (e.g. Link.NSB)
	// listening on ListenIP (e.g. Link.AddrB); default: here, 127.0.0.1.
	Netns    string
	ListenIP string
}

// Kamailio is a running kamailio (registrar, proxy, presence server) on
// 127.0.0.1 with db_text storage in a private run directory.
type Kamailio struct {
	Addr    string // "127.0.0.1:P", UDP and TCP
	TLSAddr string // "127.0.0.1:P+1"
	Port    int
	TLSPort int
	CAFile  string // self-signed server certificate: the CA for TLS clients
	RunDir  string
	LogPath string
	IP      string // listen address
	Netns   string // "" or the namespace it runs in

	proc   *process
	kamcmd string

	mu    sync.Mutex
	users []User
}

// StartKamailio starts kamailio on free ports of 127.0.0.1 (or of
// opts.ListenIP inside opts.Netns) and waits
// (bounded) until it answers OPTIONS over UDP. A t.Cleanup stops it by PID.
// It skips the test when kamailio is not installed (fails under CI=true).
func StartKamailio(tb testing.TB, opts KamailioOptions) *Kamailio {
	tb.Helper()
	requireTool(tb, "kamailio", "kamailio")
	kamcmd := requireTool(tb, "kamcmd", "kamailio")
	requireTool(tb, "openssl", "openssl")
	requireFile(tb, "/usr/lib/*/kamailio/modules/presence.so", "kamailio-presence-modules")
	requireFile(tb, "/usr/lib/*/kamailio/modules/tls.so", "kamailio-tls-modules")
	script := filepath.Join(scriptsDir(tb), "kamailio", "run-kamailio.sh")
	users := opts.Users
	if len(users) == 0 {
		users = DefaultUsers()
	}
	timeout := opts.StartTimeout
	if timeout == 0 {
		timeout = defaultStartTimeout
	}
	var lastErr error
	for attempt := range 5 {
		k, err := startKamailioOnce(tb, script, kamcmd, users, opts, timeout, attempt)
		if err == nil {
			return k
		}
		lastErr = err
		if !errors.Is(err, errBind) {
			break
		}
		tb.Logf("interop: kamailio attempt %d: %v; retrying on other ports", attempt+1, err)
	}
	tb.Fatalf("interop: start kamailio: %v", lastErr)
	return nil
}

var errBind = errors.New("port already in use")

func startKamailioOnce(tb testing.TB, script, kamcmd string, users []User, opts KamailioOptions, timeout time.Duration, attempt int) (*Kamailio, error) {
	port := mustFreePorts(tb, 2)
	ip := opts.ListenIP
	if ip == "" {
		ip = "127.0.0.1"
	}
	runDir := filepath.Join(tb.TempDir(), fmt.Sprintf("kam%d", attempt))
	if err := os.MkdirAll(runDir, 0o755); err != nil {
		return nil, fmt.Errorf("run dir: %w", err)
	}
	var ul []string
	for _, u := range users {
		ul = append(ul, u.Name+":"+u.Password)
	}
	var args []string
	if opts.QOP {
		args = append(args, "-A", "AUTH_QOP=1")
	}
	if opts.NoProxyAuth {
		args = append(args, "-A", "NO_PROXY_AUTH")
	}
	if opts.Debug {
		args = append(args, "-A", "WITH_DEBUG")
	}
	cmd := exec.Command(script, args...)
	if opts.Netns != "" {
		// ip netns exec execs the script, which execs kamailio: one PID.
		cmd = exec.Command("ip", append([]string{"netns", "exec", opts.Netns, script}, args...)...)
	}
	cmd.Dir = runDir
	cmd.Env = append(os.Environ(),
		"RUNDIR="+runDir,
		"SIP_PORT="+strconv.Itoa(port),
		"TLS_PORT="+strconv.Itoa(port+1),
		"LISTEN_IP="+ip,
		"USERS="+strings.Join(ul, " "),
		"TLS=1",
		"FG=1", // the script execs kamailio: the PID we hold is kamailio's
	)
	logPath := filepath.Join(runDir, "kamailio.log")
	p, err := startProcess("kamailio", cmd, logPath, false)
	if err != nil {
		return nil, err
	}
	k := &Kamailio{
		Addr:    net.JoinHostPort(ip, strconv.Itoa(port)),
		TLSAddr: net.JoinHostPort(ip, strconv.Itoa(port+1)),
		IP:      ip,
		Netns:   opts.Netns,
		Port:    port,
		TLSPort: port + 1,
		CAFile:  filepath.Join(runDir, "tls", "server.pem"),
		RunDir:  runDir,
		LogPath: logPath,
		proc:    p,
		kamcmd:  kamcmd,
		users:   append([]User(nil), users...),
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	for {
		pctx, pcancel := context.WithTimeout(ctx, 300*time.Millisecond)
		code, err := k.Ping(pctx, "udp")
		pcancel()
		if err == nil && code == 200 {
			break
		}
		if p.exited() {
			p.stop(defaultStopGrace) // reaps any forked worker
			out := p.out.tail(15)
			if strings.Contains(out, "Address already in use") {
				return nil, fmt.Errorf("%w: %s", errBind, out)
			}
			return nil, fmt.Errorf("kamailio exited: %s", out)
		}
		if ctx.Err() != nil {
			p.stop(defaultStopGrace)
			return nil, fmt.Errorf("no answer to OPTIONS within %v (last: %d %v): %s", timeout, code, err, p.out.tail(15))
		}
	}
	tb.Cleanup(func() { p.stop(defaultStopGrace) })
	p.logOnFailure(tb)
	return k, nil
}

// PID is kamailio's main process ID.
func (k *Kamailio) PID() int { return k.proc.pid() }

// Users returns the accounts known to the registrar.
func (k *Kamailio) Users() []User {
	k.mu.Lock()
	defer k.mu.Unlock()
	return append([]User(nil), k.users...)
}

// Password returns the password of user, or "" if unknown.
func (k *Kamailio) Password(user string) string {
	for _, u := range k.Users() {
		if u.Name == user {
			return u.Password
		}
	}
	return ""
}

// AddUser adds an account while kamailio runs (db_text re-reads the table
// when the file changes).
func (k *Kamailio) AddUser(name, password string) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	f, err := os.OpenFile(filepath.Join(k.RunDir, "dbtext", "subscriber"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return fmt.Errorf("interop: add user: %w", err)
	}
	// Row: id:username:domain:password:ha1:ha1b (ha1/ha1b must not be empty;
	// the domain is not checked: use_domain=0).
	_, err = fmt.Fprintf(f, "%d:%s:%s:%s:x:x\n", len(k.users)+1, name, k.IP, password)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("interop: add user: %w", err)
	}
	k.users = append(k.users, User{name, password})
	return nil
}

// Kamcmd runs kamcmd against this instance's control socket.
func (k *Kamailio) Kamcmd(ctx context.Context, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	all := append([]string{"-s", "unix:" + filepath.Join(k.RunDir, "kamailio_ctl")}, args...)
	out, err := exec.CommandContext(ctx, k.kamcmd, all...).CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("interop: kamcmd %s: %w: %s", strings.Join(args, " "), err, out)
	}
	// kamcmd exits 0 even for RPC errors ("error: 500 - AOR not found").
	if s := strings.TrimSpace(string(out)); strings.HasPrefix(s, "error:") {
		return s, fmt.Errorf("interop: kamcmd %s: %s", strings.Join(args, " "), s)
	}
	return string(out), nil
}

// ErrNotRegistered is returned by Lookup when the AoR has no binding.
var ErrNotRegistered = errors.New("interop: not registered")

// Lookup returns the registered contact addresses of user (kamcmd
// ul.lookup location USER), or ErrNotRegistered.
func (k *Kamailio) Lookup(user string) ([]string, error) {
	out, err := k.Kamcmd(context.Background(), "ul.lookup", "location", user)
	if err != nil {
		if strings.Contains(out, "not found") {
			return nil, ErrNotRegistered
		}
		return nil, err
	}
	var contacts []string
	for _, line := range strings.Split(out, "\n") {
		if a, ok := strings.CutPrefix(strings.TrimSpace(line), "Address: "); ok {
			contacts = append(contacts, a)
		}
	}
	if len(contacts) == 0 {
		return nil, ErrNotRegistered
	}
	return contacts, nil
}

// WaitRegistered waits until user has at least one binding, bounded by ctx
// (kamcmd is asked every 100 ms; each probe is itself bounded).
func (k *Kamailio) WaitRegistered(ctx context.Context, user string) ([]string, error) {
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		c, err := k.Lookup(user)
		if err == nil {
			return c, nil
		}
		if !errors.Is(err, ErrNotRegistered) {
			return nil, err
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("interop: %s not registered: %w", user, ctx.Err())
		case <-tick.C:
		}
	}
}

// Unregister removes every binding of user (kamcmd ul.rm location USER).
func (k *Kamailio) Unregister(user string) error {
	_, err := k.Kamcmd(context.Background(), "ul.rm", "location", user)
	return err
}

// SIPpUsersCSV writes a SIPp injection file for the given users (all users
// when none are given): "user;password;[authentication username=.. password=..]"
// rows, SEQUENTIAL. SIPp does not expand [field0] inside the authentication
// keyword, so the whole keyword is a field. Returns the path.
func (k *Kamailio) SIPpUsersCSV(tb testing.TB, users ...string) string {
	tb.Helper()
	var b strings.Builder
	b.WriteString("SEQUENTIAL\n")
	if len(users) == 0 {
		for _, u := range k.Users() {
			users = append(users, u.Name)
		}
	}
	for _, name := range users {
		pw := k.Password(name)
		if pw == "" {
			tb.Fatalf("interop: SIPpUsersCSV: unknown user %q", name)
		}
		fmt.Fprintf(&b, "%s;%s;[authentication username=%s password=%s]\n", name, pw, name, pw)
	}
	f, err := os.CreateTemp(tb.TempDir(), "users-*.csv")
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := f.WriteString(b.String()); err != nil {
		tb.Fatal(err)
	}
	if err := f.Close(); err != nil {
		tb.Fatal(err)
	}
	return f.Name()
}

// Log returns kamailio's output so far.
func (k *Kamailio) Log() string { return k.proc.out.String() }

// Stop stops kamailio now (SIGTERM by PID, SIGKILL after 5 s); the cleanup
// does it anyway.
func (k *Kamailio) Stop() { k.proc.stop(defaultStopGrace) }

// WaitPublished waits (asking "presence.presentity_list" every 100 ms,
// bounded by ctx) until the presence server holds a published state for
// user (RFC 3903 PUBLISH accepted).
func (k *Kamailio) WaitPublished(ctx context.Context, user string) error {
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		out, err := k.Kamcmd(ctx, "presence.presentity_list")
		if err != nil {
			return err
		}
		for _, line := range strings.Split(out, "\n") {
			if strings.TrimSpace(line) == "user: "+user {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("interop: no presence published for %s: %w", user, ctx.Err())
		case <-tick.C:
		}
	}
}
