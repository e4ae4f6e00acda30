package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// trimStartupPages gives back the clean pages of the executable that only
// start-up used, the user-space counterpart of the kernel's free_initmem.
//
// Start-up runs about 240 package init functions spread across 15 MB of
// text and read-only data, and the kernel maps 64 KB around every page fault
// (fault-around), so by the time the agent answers its first request about
// 9 MB of code, type data and pclntab are mapped, most of which never runs
// again. Right after the linker has written the binary, the page cache even
// holds it in 2 MB folios that the kernel maps whole. For each read-only
// mapping of the executable that was never written (no anonymous pages, so
// never relocated: dropping it loses nothing), trimStartupPages asks for
// small pages (MADV_NOHUGEPAGE) and unmaps what is resident
// (MADV_DONTNEED). The file stays in the page cache; code that runs again
// faults back in as a minor fault, 64 KB at a time.
//
// It returns the bytes it unmapped that were resident. Nothing here is
// needed for correctness: on error the process just keeps those pages.
func trimStartupPages() (released int64, err error) {
	exe, err := os.Readlink("/proc/self/exe")
	if err != nil {
		return 0, err
	}
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		return 0, err
	}
	maps, err := parseSmaps(f, exe)
	f.Close()
	if err != nil {
		return 0, err
	}
	for _, m := range maps {
		if m.perms[1] != '-' || m.perms[3] != 'p' || m.anonKB != 0 || m.end <= m.start {
			continue
		}
		length := m.end - m.start
		if e := madvise(m.start, length, syscall.MADV_NOHUGEPAGE); e != nil && err == nil {
			err = e // THP may be compiled out; still unmap below
		}
		if e := madvise(m.start, length, syscall.MADV_DONTNEED); e != nil {
			return released, fmt.Errorf("madvise %#x+%d: %w", m.start, length, e)
		}
		released += m.rssKB << 10
	}
	return released, err
}

func madvise(addr, length uintptr, advice int) error {
	_, _, e := syscall.Syscall(syscall.SYS_MADVISE, addr, length, uintptr(advice))
	if e != 0 {
		return e
	}
	return nil
}

// smapsEntry is one mapping of /proc/self/smaps, with what
// trimStartupPages needs.
type smapsEntry struct {
	start, end    uintptr
	perms         string
	rssKB, anonKB int64
}

// parseSmaps reads the mappings of path from smaps: their headers
// ("start-end perms offset dev inode path") and their Rss and Anonymous
// lines. Lines it does not understand are skipped; a header it cannot parse
// ends the previous entry without starting one.
func parseSmaps(r io.Reader, path string) ([]smapsEntry, error) {
	var out []smapsEntry
	cur := -1
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := sc.Text()
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		if strings.HasSuffix(f[0], ":") {
			if cur < 0 || len(f) < 2 {
				continue
			}
			n, err := strconv.ParseInt(f[1], 10, 64)
			if err != nil {
				continue
			}
			switch f[0] {
			case "Rss:":
				out[cur].rssKB = n
			case "Anonymous:":
				out[cur].anonKB = n
			}
			continue
		}
		cur = -1
		lo, hi, ok := strings.Cut(f[0], "-")
		if !ok || len(f) < 5 || len(f[1]) != 4 {
			continue
		}
		start, err1 := strconv.ParseUint(lo, 16, 64)
		end, err2 := strconv.ParseUint(hi, 16, 64)
		if err1 != nil || err2 != nil {
			continue
		}
		if len(f) < 6 || strings.Join(f[5:], " ") != path {
			continue
		}
		out = append(out, smapsEntry{start: uintptr(start), end: uintptr(end), perms: f[1]})
		cur = len(out) - 1
	}
	return out, sc.Err()
}
