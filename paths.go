package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// appName is the directory name teaphone uses under each XDG base directory.
const appName = "teaphone"

// appPaths are the files and directories teaphone reads and writes, resolved
// by the XDG Base Directory Specification (version 0.8):
//
//   - configuration: $XDG_CONFIG_HOME/teaphone/config.toml (default ~/.config);
//   - state (logs): $XDG_STATE_HOME/teaphone/teaphone.log (default ~/.local/state);
//   - user data (call and message history, contacts, recordings):
//     $XDG_DATA_HOME/teaphone/ (default ~/.local/share).
//
// Resolving paths creates nothing; call ensureDir (or ensureParentDir) just
// before writing. A --config PATH flag is the caller's business: it replaces
// ConfigFile and nothing else.
type appPaths struct {
	ConfigDir     string // $XDG_CONFIG_HOME/teaphone
	ConfigFile    string // ConfigDir/config.toml
	StateDir      string // $XDG_STATE_HOME/teaphone
	LogFile       string // StateDir/teaphone.log
	DataDir       string // $XDG_DATA_HOME/teaphone
	HistoryDB     string // DataDir/history.db (SQLite, contacts/history)
	ContactsFile  string // DataDir/contacts.toml
	RecordingsDir string // DataDir/recordings (default for [audio].recording_dir)
}

// errNoHome is returned when a base directory falls back to $HOME and
// $HOME is unset, empty or relative.
var errNoHome = errors.New("cannot locate the home directory: $HOME is not set to an absolute path")

// resolvePaths computes teaphone's paths from the environment. env looks up
// a variable (os.Getenv in production; a map in tests) and returns "" when it
// is unset.
func resolvePaths(env func(string) string) (appPaths, error) {
	cfg, err := xdgBaseDir(env, "XDG_CONFIG_HOME", ".config")
	if err != nil {
		return appPaths{}, err
	}
	state, err := xdgBaseDir(env, "XDG_STATE_HOME", filepath.Join(".local", "state"))
	if err != nil {
		return appPaths{}, err
	}
	data, err := xdgBaseDir(env, "XDG_DATA_HOME", filepath.Join(".local", "share"))
	if err != nil {
		return appPaths{}, err
	}
	p := appPaths{
		ConfigDir: filepath.Join(cfg, appName),
		StateDir:  filepath.Join(state, appName),
		DataDir:   filepath.Join(data, appName),
	}
	p.ConfigFile = filepath.Join(p.ConfigDir, "config.toml")
	p.LogFile = filepath.Join(p.StateDir, appName+".log")
	p.HistoryDB = filepath.Join(p.DataDir, "history.db")
	p.ContactsFile = filepath.Join(p.DataDir, "contacts.toml")
	p.RecordingsDir = filepath.Join(p.DataDir, "recordings")
	return p, nil
}

// xdgBaseDir returns the base directory named by the variable, or
// $HOME/fallback. The XDG Base Directory Specification: "All paths set in
// these environment variables must be absolute. If an implementation
// encounters a relative path in any of these variables it should consider
// the path invalid and ignore it" — and an empty variable means the default.
func xdgBaseDir(env func(string) string, variable, fallback string) (string, error) {
	if v := env(variable); v != "" && filepath.IsAbs(v) {
		return filepath.Clean(v), nil
	}
	home := env("HOME")
	if home == "" || !filepath.IsAbs(home) {
		return "", fmt.Errorf("%s: %w", variable, errNoHome)
	}
	return filepath.Join(home, fallback), nil
}

// ensureDir creates dir and its missing parents with mode 0700, as the XDG
// specification asks for base directories created on demand. An existing
// directory is left as it is; an existing non-directory is an error.
func ensureDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create directory: %w", err)
	}
	return nil
}

// ensureParentDir creates the directory that will hold file (see ensureDir).
func ensureParentDir(file string) error {
	return ensureDir(filepath.Dir(file))
}
