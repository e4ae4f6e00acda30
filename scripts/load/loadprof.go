//go:build loadprof

// This file is not part of the load helper: load.sh compiles it INTO a
// separate teaphone binary (go build -tags loadprof -overlay …) so the
// product itself carries no debug hooks. With TEAPHONE_LOADPROF_ADDR set
// (a loopback address), that binary serves net/http/pprof there (goroutine
// counts, heap after GC, CPU profiles) plus /loadprof/freeosmemory.
// TEAPHONE_LOADPROF_MEMRATE sets runtime.MemProfileRate (1: every allocation);
// without it the heap profiles are empty: teaphone samples nothing
// (footprint.go), and the footprint measured is the product's.

package main

import (
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
)

func init() {
	if r, err := strconv.Atoi(os.Getenv("TEAPHONE_LOADPROF_MEMRATE")); err == nil && r > 0 {
		runtime.MemProfileRate = r // e.g. 1: every allocation in the heap profile
	}
	addr := os.Getenv("TEAPHONE_LOADPROF_ADDR")
	if addr == "" {
		return
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		os.Stderr.WriteString("loadprof: " + err.Error() + "\n")
		return
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/loadprof/freeosmemory", func(w http.ResponseWriter, _ *http.Request) {
		debug.FreeOSMemory()
		_, _ = w.Write([]byte("ok\n"))
	})
	go func() { _ = http.Serve(ln, mux) }()
}
