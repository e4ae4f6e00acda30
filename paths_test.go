package main

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestResolvePaths(t *testing.T) {
	tests := []struct {
		name                string
		env                 map[string]string
		config, state, data string
		wantErr             error
	}{
		{
			name:   "defaults under HOME",
			env:    map[string]string{"HOME": "/home/alice"},
			config: "/home/alice/.config/teaphone",
			state:  "/home/alice/.local/state/teaphone",
			data:   "/home/alice/.local/share/teaphone",
		},
		{
			name: "XDG variables",
			env: map[string]string{"HOME": "/home/alice", "XDG_CONFIG_HOME": "/cfg",
				"XDG_STATE_HOME": "/var/state/", "XDG_DATA_HOME": "/data//x"},
			config: "/cfg/teaphone",
			state:  "/var/state/teaphone",
			data:   "/data/x/teaphone",
		},
		{
			name: "relative XDG variables are ignored",
			env: map[string]string{"HOME": "/home/alice", "XDG_CONFIG_HOME": "cfg",
				"XDG_STATE_HOME": "./state", "XDG_DATA_HOME": "~/data"},
			config: "/home/alice/.config/teaphone",
			state:  "/home/alice/.local/state/teaphone",
			data:   "/home/alice/.local/share/teaphone",
		},
		{
			name:   "empty XDG variables are ignored",
			env:    map[string]string{"HOME": "/home/alice", "XDG_CONFIG_HOME": "", "XDG_DATA_HOME": ""},
			config: "/home/alice/.config/teaphone",
			state:  "/home/alice/.local/state/teaphone",
			data:   "/home/alice/.local/share/teaphone",
		},
		{
			name: "no HOME needed when every variable is set",
			env: map[string]string{"XDG_CONFIG_HOME": "/c", "XDG_STATE_HOME": "/s",
				"XDG_DATA_HOME": "/d"},
			config: "/c/teaphone",
			state:  "/s/teaphone",
			data:   "/d/teaphone",
		},
		{
			name:    "no HOME",
			env:     map[string]string{"XDG_CONFIG_HOME": "/c"},
			wantErr: errNoHome,
		},
		{
			name:    "relative HOME",
			env:     map[string]string{"HOME": "home/alice"},
			wantErr: errNoHome,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := resolvePaths(mapEnv(tt.env))
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := appPaths{
				ConfigDir:     tt.config,
				ConfigFile:    tt.config + "/config.toml",
				StateDir:      tt.state,
				LogFile:       tt.state + "/teaphone.log",
				DataDir:       tt.data,
				HistoryDB:     tt.data + "/history.db",
				ContactsFile:  tt.data + "/contacts.toml",
				RecordingsDir: tt.data + "/recordings",
			}
			if p != want {
				t.Errorf("paths\n got %+v\nwant %+v", p, want)
			}
		})
	}
}

func TestEnsureDir(t *testing.T) {
	base := t.TempDir()
	dir := filepath.Join(base, "state", "teaphone")
	if err := ensureParentDir(filepath.Join(dir, "teaphone.log")); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{filepath.Join(base, "state"), dir} {
		st, err := os.Stat(d)
		if err != nil {
			t.Fatal(err)
		}
		if got := st.Mode().Perm(); !st.IsDir() || got != 0o700 {
			t.Errorf("%s: mode %v, want a directory with 0700", d, st.Mode())
		}
	}
	// Again: an existing directory is fine.
	if err := ensureDir(dir); err != nil {
		t.Errorf("second ensureDir: %v", err)
	}
	// A file in the way is an error.
	file := filepath.Join(base, "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := ensureDir(filepath.Join(file, "sub")); err == nil {
		t.Error("ensureDir under a file succeeded, want an error")
	}
}
