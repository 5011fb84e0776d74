package main

import (
	"os"
	"path/filepath"
	"testing"
)

func TestParseShare(t *testing.T) {
	good := map[string]shareMount{
		"fs0:/home/u":                        {"fs0", "/home/u", false},
		"fs1:/mnt/my%20data%3A1%2C%C3%BC:ro": {"fs1", "/mnt/my data:1,ü", true},
		"t:/a//b/":                           {"t", "/a/b", false},
		"t:/x%3aro":                          {"t", "/x:ro", false},
		"t:/percent%25:ro":                   {"t", "/percent%", true},
		"abcdefghijklmnopqrstuvwxyz0123456789:/z": {"abcdefghijklmnopqrstuvwxyz0123456789", "/z", false},
	}
	for in, want := range good {
		got, err := parseShare(in)
		if err != nil || got != want {
			t.Errorf("parseShare(%q) = %+v, %v; want %+v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "fs0", ":/x", "fs0:", "fs0:relative", "fs0:/", "fs0:/a/../b",
		"fs0:/a/./b", "fs0:/x%2", "fs0:/x%zz", "fs0:/x%00", "fs0:/x%0Ay", "fs0:/%2E%2E/etc",
		"abcdefghijklmnopqrstuvwxyz0123456789a:/z"} {
		if got, err := parseShare(in); err == nil {
			t.Errorf("parseShare(%q) = %+v, want an error", in, got)
		}
	}
}

func TestParseCmdlineCollectsShares(t *testing.T) {
	cfg := parseCmdline("console=ttyS0 linux.share=fs0:/home/u linux.share=bad linux.share=fs1:/d:ro linux.root=/dev/vda")
	want := []shareMount{{"fs0", "/home/u", false}, {"fs1", "/d", true}}
	if len(cfg.shares) != 2 || cfg.shares[0] != want[0] || cfg.shares[1] != want[1] {
		t.Fatalf("shares %+v", cfg.shares)
	}
	if len(cfg.shareProblems) != 1 {
		t.Fatalf("problems %q", cfg.shareProblems)
	}
}

func TestShareFlags(t *testing.T) {
	if f := shareFlags(shareMount{readOnly: true}); f != 0x1|0x2|0x4 {
		t.Fatalf("ro flags %#x", f)
	}
	if f := shareFlags(shareMount{}); f != 0x2|0x4 {
		t.Fatalf("rw flags %#x", f)
	}
}

func TestMkdirInStaysInsideRoot(t *testing.T) {
	root := t.TempDir()
	outside := t.TempDir()
	if err := os.Mkdir(filepath.Join(root, "real"), 0o755); err != nil {
		t.Fatal(err)
	}
	for name, target := range map[string]string{"inside": "/real", "escape": outside, "up": "../../.."} {
		if err := os.Symlink(target, filepath.Join(root, name)); err != nil {
			t.Fatal(err)
		}
	}
	// an absolute symlink is resolved inside root
	got, err := mkdirIn(root, "/inside/a b/c")
	if want := filepath.Join(root, "real", "a b", "c"); err != nil || got != want {
		t.Fatalf("got %s, %v; want %s", got, err, want)
	}
	// a symlink to a host directory is dangling inside root: an error, nothing created outside
	if got, err := mkdirIn(root, "/escape/x"); err == nil {
		t.Fatalf("mkdir through a dangling symlink gave %s", got)
	}
	if entries, _ := os.ReadDir(outside); len(entries) != 0 {
		t.Fatalf("created outside root: %v", entries)
	}
	got, err = mkdirIn(root, "/up/x")
	if err != nil || got != filepath.Join(root, "x") {
		t.Fatalf("got %s, %v", got, err)
	}
	if err := os.WriteFile(filepath.Join(root, "file"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := mkdirIn(root, "/file/x"); err == nil {
		t.Fatal("mkdir under a file succeeded")
	}
}
