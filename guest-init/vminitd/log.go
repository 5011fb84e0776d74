package main

import (
	"fmt"
	"os"
	"sync"
)

// Logging: short lines prefixed "vminitd:" on stderr, which is the console once boot has wired
// /dev/console to fds 1 and 2.
var (
	logMu    sync.Mutex
	logDebug bool
)

func logf(format string, args ...interface{}) {
	line := "vminitd: " + fmt.Sprintf(format, args...) + "\n"
	logMu.Lock()
	defer logMu.Unlock()
	_, _ = os.Stderr.WriteString(line)
}

func debugf(format string, args ...interface{}) {
	if logDebug {
		logf(format, args...)
	}
}

// goSafe runs fn in a goroutine that logs instead of crashing PID 1 when fn panics.
func goSafe(name string, fn func()) {
	go func() {
		defer recoverLog(name)
		fn()
	}()
}

func recoverLog(name string) {
	if r := recover(); r != nil {
		logf("panic in %s (recovered): %v", name, r)
	}
}
