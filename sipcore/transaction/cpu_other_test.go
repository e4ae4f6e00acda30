//go:build !unix

package transaction_test

import "time"

func cpuTime() time.Duration { return 0 }
