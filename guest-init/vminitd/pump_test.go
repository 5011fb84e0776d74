package main

import (
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// Output written before the process exited must arrive even when the deadline set at its exit
// has long passed by the time the pump reads (a busy guest schedules the pump late).
func TestPumpOutputDrainsPastAnExpiredDeadline(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	keep := w // a background child still holding the write end: no EOF ever comes
	defer keep.Close()
	if _, err := w.Write([]byte("written before exit\n")); err != nil {
		t.Fatal(err)
	}
	var exited atomic.Bool
	exited.Store(true)
	_ = r.SetReadDeadline(time.Now().Add(-time.Second)) // already expired

	var got strings.Builder
	done := make(chan struct{})
	go func() {
		pumpOutput(r, &exited, func(b []byte) { got.Write(b) })
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("the pump did not stop although the pipe stayed idle")
	}
	if got.String() != "written before exit\n" {
		t.Fatalf("got %q", got.String())
	}
}

// Without an exit, the pump reads until EOF.
func TestPumpOutputReadsUntilEOF(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var exited atomic.Bool
	go func() {
		for i := 0; i < 100; i++ {
			_, _ = w.Write([]byte("line\n"))
		}
		w.Close()
	}()
	var got strings.Builder
	pumpOutput(r, &exited, func(b []byte) { got.Write(b) })
	if got.String() != strings.Repeat("line\n", 100) {
		t.Fatalf("got %d bytes", got.Len())
	}
}
