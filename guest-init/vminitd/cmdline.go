package main

import (
	"strings"
)

// Kernel command line contract.
const (
	keyAgent    = "linux.agent"    // name of the virtio-serial port to serve on
	keyRoot     = "linux.root"     // the environment disk (ext4)
	keyHostname = "linux.hostname" // hostname to set
	keyDebug    = "linux.debug"    // 1: verbose logging
	keySystemd  = "linux.systemd"  // 1: start the environment's init (systemd) as wsl.conf's [boot] systemd=true does

	defaultAgentPort = "linux.agent"
)

type bootConfig struct {
	agentPort string
	root      string
	hostname  string
	debug     bool
	systemd   bool
	network   string // keyNet: "user", "none" or empty (none), see net.go

	shares        []shareMount // linux.share (shares.go), in order
	shareProblems []string     // malformed linux.share words
}

// parseCmdline splits a kernel command line into key=value pairs (double quotes group words,
// as the kernel does) and extracts the linux.* keys. Later occurrences win, but linux.share
// repeats.
func parseCmdline(line string) bootConfig {
	cfg := bootConfig{agentPort: defaultAgentPort}
	for _, word := range splitCmdline(line) {
		key, value, hasValue := strings.Cut(word, "=")
		switch key {
		case keyAgent:
			if value != "" {
				cfg.agentPort = value
			}
		case keyRoot:
			cfg.root = value
		case keyHostname:
			cfg.hostname = value
		case keyDebug:
			cfg.debug = flagValue(value, hasValue)
		case keySystemd:
			cfg.systemd = flagValue(value, hasValue)
		case keyNet:
			cfg.network = value
		case keyShare:
			if m, err := parseShare(value); err != nil {
				cfg.shareProblems = append(cfg.shareProblems, err.Error())
			} else {
				cfg.shares = append(cfg.shares, m)
			}
		}
	}
	return cfg
}

// flagValue reads a boolean kernel argument: a bare key, or any value but 0, false, no or empty.
func flagValue(value string, hasValue bool) bool {
	return !hasValue || (value != "0" && value != "" && value != "false" && value != "no")
}

func splitCmdline(line string) []string {
	var words []string
	var cur strings.Builder
	inQuote, inWord := false, false
	for _, r := range line {
		switch {
		case r == '"':
			inQuote = !inQuote
			inWord = true
		case !inQuote && (r == ' ' || r == '\t' || r == '\n' || r == '\r'):
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words
}
