package main

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"vminitd/agentpb"
)

// fakeProc writes /proc/PID/stat and cmdline entries under dir.
func fakeProc(t *testing.T, dir string, pid, ppid, sid int, state string) {
	t.Helper()
	p := filepath.Join(dir, fmt.Sprint(pid))
	if err := os.MkdirAll(p, 0o755); err != nil {
		t.Fatal(err)
	}
	stat := fmt.Sprintf("%d (cmd) %s %d %d %d 0 -1 0\n", pid, state, ppid, sid, sid)
	if err := os.WriteFile(filepath.Join(p, "stat"), []byte(stat), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(p, "cmdline"), []byte(fmt.Sprintf("cmd\x00%d\x00", pid)), 0o644); err != nil {
		t.Fatal(err)
	}
}

func byPid(procs []*agentpb.ProcessInfo) map[int]*agentpb.ProcessInfo {
	m := map[int]*agentpb.ProcessInfo{}
	for _, p := range procs {
		m[int(p.Pid)] = p
	}
	return m
}

func TestExecSessionsOutliveTheirRoot(t *testing.T) {
	dir := t.TempDir()
	var table sessionTable
	fakeProc(t, dir, 1, 0, 0, "S")     // vminitd
	fakeProc(t, dir, 50, 1, 50, "S")   // started by vminitd itself (boot command), its own session
	fakeProc(t, dir, 100, 1, 100, "S") // the Exec root
	fakeProc(t, dir, 101, 100, 100, "S")
	table.set(100, true)

	got := byPid(table.list(dir))
	if !got[100].ExecSession || !got[100].FromExec || got[101].ExecSession || !got[101].FromExec {
		t.Fatalf("root %+v, child %+v", got[100], got[101])
	}
	if got[1].FromExec || got[50].FromExec {
		t.Fatalf("unrelated processes marked: %+v %+v", got[1], got[50])
	}
	if len(got[101].Args) != 2 || got[101].Args[1] != "101" {
		t.Fatalf("args %q", got[101].Args)
	}

	// The root exits; the background child, orphaned to PID 1, still counts.
	table.set(100, false)
	os.RemoveAll(filepath.Join(dir, "100"))
	fakeProc(t, dir, 101, 1, 100, "S")
	got = byPid(table.list(dir))
	if got[101].ExecSession || !got[101].FromExec {
		t.Fatalf("orphan %+v", got[101])
	}

	// A zombie still reports the field and keeps the session remembered.
	fakeProc(t, dir, 101, 1, 100, "Z")
	for i := 0; i < 3; i++ {
		if got = byPid(table.list(dir)); !got[101].FromExec {
			t.Fatalf("zombie %+v", got[101])
		}
	}
}

func TestEmptyExecSessionsArePrunedSoAReusedPidDoesNotCount(t *testing.T) {
	dir := t.TempDir()
	var table sessionTable
	fakeProc(t, dir, 100, 1, 100, "S")
	table.set(100, true)
	table.list(dir)
	table.set(100, false)
	os.RemoveAll(filepath.Join(dir, "100"))

	table.list(dir) // the first empty pass only notes it: it may have raced a fork
	if _, ok := table.sids[100]; !ok {
		t.Fatal("forgotten after one empty pass")
	}
	table.list(dir)
	if _, ok := table.sids[100]; ok {
		t.Fatal("still remembered after two empty passes")
	}
	// pid 100 reused by a process that leads a session of its own, not started by Exec
	fakeProc(t, dir, 100, 1, 100, "S")
	if got := byPid(table.list(dir)); got[100].FromExec {
		t.Fatalf("reused pid marked: %+v", got[100])
	}

	// A session seen again after one empty pass starts over.
	fakeProc(t, dir, 200, 1, 200, "S")
	table.set(200, true)
	table.set(200, false)
	os.RemoveAll(filepath.Join(dir, "200"))
	table.list(dir)
	fakeProc(t, dir, 201, 1, 200, "S")
	table.list(dir)
	os.RemoveAll(filepath.Join(dir, "201"))
	table.list(dir)
	if _, ok := table.sids[200]; !ok {
		t.Fatal("forgotten although the pass before found it occupied")
	}
}

func TestRememberedExecSessionsAreBounded(t *testing.T) {
	var table sessionTable
	table.set(1, true) // a long-running root: never dropped
	for pid := 2; pid <= maxExecSessions+10; pid++ {
		table.set(pid, true)
		table.set(pid, false)
	}
	if len(table.sids) != maxExecSessions {
		t.Fatalf("%d sessions remembered", len(table.sids))
	}
	if _, ok := table.sids[1]; !ok {
		t.Fatal("the running root's session was dropped")
	}
	for pid := 2; pid <= 11; pid++ {
		if _, ok := table.sids[pid]; ok {
			t.Fatalf("old session %d kept while newer ones were dropped", pid)
		}
	}
	if _, ok := table.sids[maxExecSessions+10]; !ok {
		t.Fatal("the newest session is missing")
	}
}
