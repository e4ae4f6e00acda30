//go:build !linux

package main

// trimStartupPages is Linux-only (madvise on the executable's mappings).
func trimStartupPages() (released int64, err error) { return 0, nil }
