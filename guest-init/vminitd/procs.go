package main

import (
	"bytes"
	"os"
	"strconv"
	"strings"
	"syscall"

	"vminitd/agentpb"
)

// listProcesses reads every process of procDir (normally /proc) except kernel threads.
// sessions tells which pids are the roots of Exec sessions.
func listProcesses(procDir string, sessions func(pid int) bool) []*agentpb.ProcessInfo {
	entries, err := os.ReadDir(procDir)
	if err != nil {
		return nil
	}
	var out []*agentpb.ProcessInfo
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid <= 0 {
			continue
		}
		p := readProcess(procDir+"/"+e.Name(), pid)
		if p == nil || p.Pid == 2 || p.Ppid == 2 {
			continue // gone meanwhile, or a kernel thread
		}
		p.ExecSession = sessions(pid)
		out = append(out, p)
	}
	return out
}

// readProcess parses /proc/PID/stat ("pid (comm) state ppid pgrp session ..."), the owner of
// /proc/PID and its cmdline.
func readProcess(dir string, pid int) *agentpb.ProcessInfo {
	stat, err := os.ReadFile(dir + "/stat")
	if err != nil {
		return nil
	}
	p, comm := parseProcStat(string(stat))
	if p == nil {
		return nil
	}
	p.Pid = int32(pid)
	if fi, err := os.Stat(dir); err == nil {
		if st, ok := fi.Sys().(*syscall.Stat_t); ok {
			p.Uid = st.Uid
		}
	}
	if cmd, err := os.ReadFile(dir + "/cmdline"); err == nil && len(cmd) > 0 {
		cmd = bytes.TrimRight(cmd, "\x00")
		p.Args = strings.Split(string(cmd), "\x00")
	} else {
		p.Args = []string{"[" + comm + "]"}
	}
	return p
}

func parseProcStat(s string) (*agentpb.ProcessInfo, string) {
	open, close := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
	if open < 0 || close < open {
		return nil, ""
	}
	comm := s[open+1 : close]
	f := strings.Fields(s[close+1:])
	if len(f) < 4 {
		return nil, ""
	}
	atoi := func(v string) int32 { n, _ := strconv.Atoi(v); return int32(n) }
	return &agentpb.ProcessInfo{State: f[0], Ppid: atoi(f[1]), Pgid: atoi(f[2]), Sid: atoi(f[3])}, comm
}
