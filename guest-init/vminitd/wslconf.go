package main

import (
	"bufio"
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// wslConfPath is where an image keeps its wsl.conf; problems name it so the user knows which file
// to fix.
const wslConfPath = "/etc/wsl.conf"

// maxConfProblems bounds the problems kept: a file of garbage must not flood the console, the
// DescribeEnvironment response or the user's terminal.
const maxConfProblems = 20

// wslConf holds the settings of an image's /etc/wsl.conf that vminitd honours. The file is the
// INI dialect WSL reads: [section] headers, key = value lines, '#' or ';' comments, optional
// double quotes around values; section and key names are case-insensitive.
type wslConf struct {
	defaultUser        string // [user] default
	bootCommand        string // [boot] command
	systemd            bool   // [boot] systemd
	generateHosts      bool   // [network] generateHosts (default true)
	generateResolvConf bool   // [network] generateResolvConf (default true)
	hostname           string // [network] hostname
	automount          bool   // [automount] enabled (default true): home sharing, once it exists
}

func defaultWSLConf() wslConf {
	return wslConf{generateHosts: true, generateResolvConf: true, automount: true}
}

// parseWSLConf parses wsl.conf. Unknown sections and keys are ignored, as WSL does. An invalid
// value leaves its setting at the default, as a WSL distribution with a bad wsl.conf still boots,
// but unlike WSL each one is returned as a one-line problem naming the file, line, section, key
// and value, so that a user who wrote `systemd = ture` learns why systemd did not start.
func parseWSLConf(text string) (wslConf, []string) {
	c := defaultWSLConf()
	var problems []string
	dropped := 0
	report := func(n int, format string, args ...interface{}) {
		if len(problems) == maxConfProblems {
			dropped++
			return
		}
		problems = append(problems, fmt.Sprintf("%s line %d: ", wslConfPath, n)+fmt.Sprintf(format, args...))
	}
	section, sectionName := "", ""
	n := 0
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' || line[0] == ';' {
			continue
		}
		if line[0] == '[' {
			if end := strings.IndexByte(line, ']'); end > 0 {
				sectionName = strings.TrimSpace(line[1:end])
				section = strings.ToLower(sectionName)
				continue
			}
		}
		rawKey, rawValue, ok := strings.Cut(line, "=")
		rawKey = strings.TrimSpace(rawKey)
		if !ok || rawKey == "" {
			report(n, "%s%s is not a comment, [section] or key = value; ignored", inSection(sectionName), quote(line))
			continue
		}
		key, value := strings.ToLower(rawKey), iniValue(rawValue)
		setting := fmt.Sprintf("[%s] %s = %s", sectionName, rawKey, quote(value))
		boolean := func(def bool) bool {
			b, ok := parseBool(value)
			if !ok {
				report(n, "%s is not a boolean (true or false); using %t", setting, def)
				return def
			}
			return b
		}
		switch section + "." + key {
		case "user.default":
			if strings.ContainsRune(value, ':') || strings.IndexFunc(value, unicode.IsSpace) >= 0 {
				report(n, "%s is not a user name (it holds whitespace or ':'); ignored", setting)
			} else {
				c.defaultUser = value
			}
		case "boot.command":
			c.bootCommand = value
		case "boot.systemd":
			c.systemd = boolean(false)
		case "network.generatehosts":
			c.generateHosts = boolean(true)
		case "network.generateresolvconf":
			c.generateResolvConf = boolean(true)
		case "network.hostname":
			if value != "" && !validHostname(value) {
				report(n, "%s is not a valid hostname (letters, digits and '-' in dot-separated labels of at most 63 characters, 253 in all); using the environment's name", setting)
			} else {
				c.hostname = value
			}
		case "automount.enabled":
			c.automount = boolean(true)
		}
	}
	if sc.Err() != nil {
		report(n+1, "longer than %d bytes; the rest of the file is ignored", bufio.MaxScanTokenSize)
	}
	if dropped > 0 {
		problems = append(problems, fmt.Sprintf("%s: %d more problems not shown", wslConfPath, dropped))
	}
	return c, problems
}

// quote quotes s for a problem line, cut short so that one stays one readable line.
func quote(s string) string {
	const max = 80
	if len(s) > max {
		cut := max
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		return strconv.Quote(s[:cut]) + "..."
	}
	return strconv.Quote(s)
}

func inSection(name string) string {
	if name == "" {
		return ""
	}
	return "[" + name + "] "
}

// iniValue trims a value, strips a trailing comment (outside quotes) and surrounding quotes.
func iniValue(v string) string {
	v = strings.TrimSpace(v)
	if strings.HasPrefix(v, `"`) {
		if end := strings.IndexByte(v[1:], '"'); end >= 0 {
			return v[1 : end+1]
		}
		return strings.TrimPrefix(v, `"`)
	}
	for _, c := range []string{" #", "\t#", " ;", "\t;"} {
		if i := strings.Index(v, c); i >= 0 {
			v = v[:i]
		}
	}
	return strings.TrimSpace(v)
}

func parseBool(v string) (value, ok bool) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "true", "yes", "1", "on":
		return true, true
	case "false", "no", "0", "off":
		return false, true
	}
	return false, false
}

// validHostname is RFC 1123: dot-separated labels of 1-63 letters, digits and hyphens, none
// starting or ending with a hyphen, 253 characters in all.
func validHostname(h string) bool {
	if len(h) > 253 {
		return false
	}
	for _, label := range strings.Split(h, ".") {
		if len(label) == 0 || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return true
}
