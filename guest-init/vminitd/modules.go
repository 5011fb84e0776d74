package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// Initramfs layout contract: kernel modules sit flat in modulesDir and modulesDir/load.order names
// them one per line, already in dependency order.
const modulesDir = "/lib/modules"

// parseLoadOrder returns the module file names of a load.order file: one per line, blank lines and
// '#' comments skipped, surrounding whitespace trimmed. Names must be plain file names.
func parseLoadOrder(r io.Reader) ([]string, error) {
	var names []string
	sc := bufio.NewScanner(r)
	lineNo := 0
	for sc.Scan() {
		lineNo++
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if strings.Contains(line, "/") || line == "." || line == ".." {
			return names, fmt.Errorf("load.order line %d: %q is not a plain file name", lineNo, line)
		}
		names = append(names, line)
	}
	return names, sc.Err()
}

// loadModules loads every module named in dir/load.order with finit_module. A module that is
// already loaded (EEXIST) counts as loaded; any other failure is logged and loading continues.
func loadModules(dir string) (loaded int) {
	f, err := os.Open(filepath.Join(dir, "load.order"))
	if err != nil {
		if !errors.Is(err, os.ErrNotExist) {
			logf("modules: %v", err)
		}
		return 0
	}
	names, err := parseLoadOrder(f)
	f.Close()
	if err != nil {
		logf("modules: %v", err)
	}
	for _, name := range names {
		if err := loadModule(filepath.Join(dir, name)); err != nil {
			logf("modules: %s: %v", name, err)
			continue
		}
		debugf("modules: loaded %s", name)
		loaded++
	}
	return loaded
}

func loadModule(path string) error {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	err = unix.FinitModule(fd, "", 0)
	if err == unix.EEXIST {
		return nil
	}
	return err
}
