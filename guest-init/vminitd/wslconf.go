package main

import (
	"bufio"
	"strings"
)

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
}

func defaultWSLConf() wslConf {
	return wslConf{generateHosts: true, generateResolvConf: true}
}

// parseWSLConf parses wsl.conf; unknown sections and keys are ignored, as WSL does.
func parseWSLConf(text string) wslConf {
	c := defaultWSLConf()
	section := ""
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' || line[0] == ';' {
			continue
		}
		if line[0] == '[' {
			if end := strings.IndexByte(line, ']'); end > 0 {
				section = strings.ToLower(strings.TrimSpace(line[1:end]))
			}
			continue
		}
		key, value, ok := strings.Cut(line, "=")
		if !ok {
			continue
		}
		key = strings.ToLower(strings.TrimSpace(key))
		value = iniValue(value)
		switch section + "." + key {
		case "user.default":
			c.defaultUser = value
		case "boot.command":
			c.bootCommand = value
		case "boot.systemd":
			c.systemd = parseBool(value, false)
		case "network.generatehosts":
			c.generateHosts = parseBool(value, true)
		case "network.generateresolvconf":
			c.generateResolvConf = parseBool(value, true)
		case "network.hostname":
			c.hostname = value
		}
	}
	return c
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

func parseBool(v string, def bool) bool {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "true", "yes", "1", "on":
		return true
	case "false", "no", "0", "off":
		return false
	}
	return def
}
