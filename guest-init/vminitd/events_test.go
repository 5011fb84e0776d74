package main

import (
	"testing"
)

const procNetTCP = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1234 1 0000000000000000 100 0 0 10 0
   1: 0100007F:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1235 1 0000000000000000 100 0 0 10 0
   2: 0100007F:0016 0100007F:C350 01 00000000:00000000 00:00000000 00000000     0        0 1236 1 0000000000000000 100 0 0 10 0
`

const procNetTCP6 = `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000000000000:1F90 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1 0 100 0 0 10 0
   1: 00000000000000000000000001000000:0050 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 2 1 0 100 0 0 10 0
`

const procNetUDP = `   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops
  100: 00000000:0035 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 10 2 0 0
  101: 0F02000A:A1B2 0302000A:0035 01 00000000:00000000 00:00000000 00000000     0        0 11 2 0 0
`

func TestParseProcNetListeningTCP(t *testing.T) {
	got := parseProcNet(procNetTCP, "tcp", false)
	want := []listenKey{{"tcp", false, "0.0.0.0", 8080}, {"tcp", false, "127.0.0.1", 22}}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("[%d] = %v, want %v", i, got[i], want[i])
		}
	}
}

func TestParseProcNetIPv6AndUDP(t *testing.T) {
	got := parseProcNet(procNetTCP6, "tcp", true)
	if len(got) != 2 || got[0] != (listenKey{"tcp", true, "::", 8080}) || got[1] != (listenKey{"tcp", true, "::1", 80}) {
		t.Errorf("tcp6: %v", got)
	}
	udp := parseProcNet(procNetUDP, "udp", false)
	if len(udp) != 1 || udp[0] != (listenKey{"udp", false, "0.0.0.0", 53}) {
		t.Errorf("udp: %v (a connected socket is not listening)", udp)
	}
}

func TestDiffSockets(t *testing.T) {
	a := listenKey{"tcp", false, "0.0.0.0", 80}
	b := listenKey{"tcp", false, "0.0.0.0", 8080}
	c := listenKey{"udp", true, "::", 53}
	opened, closed := diffSockets(map[listenKey]bool{a: true, b: true}, map[listenKey]bool{b: true, c: true})
	if len(opened) != 1 || opened[0] != c || len(closed) != 1 || closed[0] != a {
		t.Errorf("opened %v, closed %v", opened, closed)
	}
}

func TestParseOomLine(t *testing.T) {
	rec := "3,1234,56789012,-;Out of memory: Killed process 4321 (stress-ng) total-vm:1000kB, anon-rss:900kB, file-rss:0kB\n"
	oom, ok := parseOomLine(rec)
	if !ok || oom.Pid != 4321 || oom.Command != "stress-ng" {
		t.Fatalf("got %v, %v", oom, ok)
	}
	cg := "3,1,2,-;Memory cgroup out of memory: Killed process 77 (a b) total-vm:1kB"
	if oom, ok := parseOomLine(cg); !ok || oom.Pid != 77 || oom.Command != "a b" {
		t.Errorf("cgroup OOM: %v, %v", oom, ok)
	}
	if _, ok := parseOomLine("6,2,3,-;Killed process 5 (x) by user"); ok {
		t.Error("a line without the OOM report matched")
	}
}

func TestCmdlineSystemdFlag(t *testing.T) {
	for line, want := range map[string]bool{
		"quiet linux.systemd=1": true, "linux.systemd": true, "linux.systemd=0": false, "quiet": false,
	} {
		if got := parseCmdline(line).systemd; got != want {
			t.Errorf("%q: systemd = %v, want %v", line, got, want)
		}
	}
}
