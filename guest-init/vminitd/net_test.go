package main

import (
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// The expected bytes are written out field by field, as iproute2 sends them (little-endian
// guests: amd64 and arm64).
func le16(v uint16) []byte { return binary.LittleEndian.AppendUint16(nil, v) }
func le32(v uint32) []byte { return binary.LittleEndian.AppendUint32(nil, v) }

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

func hdr(length uint32, typ, flags uint16, seq uint32) []byte {
	return cat(le32(length), le16(typ), le16(flags), le32(seq), le32(0))
}

func TestLinkUpMessage(t *testing.T) {
	if native != binary.LittleEndian {
		t.Skip("expected bytes are little-endian")
	}
	got := linkUpMsg(7, 2, 1500)
	want := cat(
		hdr(40, unix.RTM_NEWLINK, unix.NLM_F_REQUEST|unix.NLM_F_ACK, 7),
		[]byte{unix.AF_UNSPEC, 0}, le16(0), le32(2), le32(unix.IFF_UP), le32(unix.IFF_UP),
		le16(8), le16(unix.IFLA_MTU), le32(1500))
	if !bytes.Equal(got, want) {
		t.Fatalf("got  %x\nwant %x", got, want)
	}
	if lo := linkUpMsg(1, 1, 0); len(lo) != 32 {
		t.Fatalf("without MTU: %x", lo)
	}
}

func TestAddressMessage(t *testing.T) {
	if native != binary.LittleEndian {
		t.Skip("expected bytes are little-endian")
	}
	got := addrMsg(8, 2, [4]byte{10, 0, 2, 15}, 24)
	want := cat(
		hdr(48, unix.RTM_NEWADDR, unix.NLM_F_REQUEST|unix.NLM_F_ACK|unix.NLM_F_CREATE|unix.NLM_F_REPLACE, 8),
		[]byte{unix.AF_INET, 24, 0, unix.RT_SCOPE_UNIVERSE}, le32(2),
		le16(8), le16(unix.IFA_LOCAL), []byte{10, 0, 2, 15},
		le16(8), le16(unix.IFA_ADDRESS), []byte{10, 0, 2, 15},
		le16(8), le16(unix.IFA_BROADCAST), []byte{10, 0, 2, 255})
	if !bytes.Equal(got, want) {
		t.Fatalf("got  %x\nwant %x", got, want)
	}
}

func TestDefaultRouteMessage(t *testing.T) {
	if native != binary.LittleEndian {
		t.Skip("expected bytes are little-endian")
	}
	got := defaultRouteMsg(9, 3, [4]byte{10, 0, 2, 2})
	want := cat(
		hdr(44, unix.RTM_NEWROUTE, unix.NLM_F_REQUEST|unix.NLM_F_ACK|unix.NLM_F_CREATE|unix.NLM_F_REPLACE, 9),
		[]byte{unix.AF_INET, 0, 0, 0, unix.RT_TABLE_MAIN, unix.RTPROT_BOOT, unix.RT_SCOPE_UNIVERSE, unix.RTN_UNICAST}, le32(0),
		le16(8), le16(unix.RTA_GATEWAY), []byte{10, 0, 2, 2},
		le16(8), le16(unix.RTA_OIF), le32(3))
	if !bytes.Equal(got, want) {
		t.Fatalf("got  %x\nwant %x", got, want)
	}
}

func TestAttributesArePadded(t *testing.T) {
	a := rtattr(unix.IFLA_IFNAME, []byte("eth0\x00"))
	if len(a) != 12 || native.Uint16(a[0:2]) != 9 {
		t.Fatalf("%x", a)
	}
}

func errMsg(seq uint32, errno int32, pad bool) []byte {
	m := cat(hdr(36, unix.NLMSG_ERROR, 0, seq), le32(uint32(errno)), hdr(16, unix.RTM_NEWADDR, 0, seq))
	if pad {
		m = append(m, 0, 0, 0, 0)
	}
	return m
}

func TestParseAck(t *testing.T) {
	if native != binary.LittleEndian {
		t.Skip("expected bytes are little-endian")
	}
	if done, err := parseAck(errMsg(5, 0, false), 5); !done || err != nil {
		t.Fatalf("ack: %v %v", done, err)
	}
	if done, err := parseAck(errMsg(5, -int32(unix.EEXIST), false), 5); !done || err != unix.EEXIST {
		t.Fatalf("EEXIST: %v %v", done, err)
	}
	// An answer to an earlier request is skipped, the one after it found.
	if done, err := parseAck(cat(errMsg(4, -int32(unix.EINVAL), false), errMsg(5, 0, false)), 5); !done || err != nil {
		t.Fatalf("second: %v %v", done, err)
	}
	if done, _ := parseAck(errMsg(4, 0, false), 5); done {
		t.Fatal("another seq is not our answer")
	}
	for _, bad := range [][]byte{le32(3), cat(le32(100), make([]byte, 12))} {
		if done, err := parseAck(bad, 5); done && err == nil {
			t.Fatalf("garbage %x accepted", bad)
		}
	}
}

func TestFirstNICSkipsLoopbackAndNonEthernet(t *testing.T) {
	dir := t.TempDir()
	for name, typ := range map[string]string{"lo": "772", "sit0": "776", "eth1": "1", "eth0": "1"} {
		os.MkdirAll(filepath.Join(dir, name), 0o755)
		os.WriteFile(filepath.Join(dir, name, "type"), []byte(typ+"\n"), 0o644)
	}
	if n, err := waitForNIC(dir, 0); n != "eth0" || err != nil {
		t.Fatalf("%q %v", n, err)
	}
	empty := t.TempDir()
	os.MkdirAll(filepath.Join(empty, "lo"), 0o755)
	if _, err := waitForNIC(empty, 20*time.Millisecond); err == nil || !strings.Contains(err.Error(), "besides lo") {
		t.Fatalf("%v", err)
	}
}

func TestNetworkKeyOnTheCommandLine(t *testing.T) {
	if c := parseCmdline("quiet linux.net=user linux.root=/dev/vda"); c.network != netUser {
		t.Fatalf("%+v", c)
	}
	if c := parseCmdline("quiet"); c.network != "" {
		t.Fatalf("%+v", c)
	}
}

func TestResolvConfFollowsTheNetwork(t *testing.T) {
	root := t.TempDir()
	writeFiles(t, root, map[string]string{"etc/hostname": "dev\n"})
	resolv := filepath.Join(root, "etc/resolv.conf")
	// No network: nothing to name.
	prepareEnvironment(root, "dev", false)
	if fileExists(resolv) {
		t.Fatal("resolv.conf written without a network")
	}
	res := prepareEnvironment(root, "dev", true)
	if got := readFile(t, resolv); !strings.HasPrefix(got, generatedMarker) || !strings.HasSuffix(got, "\nnameserver 10.0.2.3\n") {
		t.Fatalf("%q %v", got, res.generated)
	}
	// Ours is rewritten only when it differs; an empty one, another and a symlink are replaced.
	if res = prepareEnvironment(root, "dev", true); len(res.generated) != 0 {
		t.Fatalf("unchanged files rewritten: %v", res.generated)
	}
	writeFiles(t, root, map[string]string{"etc/resolv.conf": "\n"})
	prepareEnvironment(root, "dev", true)
	if !strings.Contains(readFile(t, resolv), "10.0.2.3") {
		t.Fatal("empty resolv.conf not replaced")
	}
	writeFiles(t, root, map[string]string{"etc/resolv.conf": "nameserver 192.0.2.53\n"})
	prepareEnvironment(root, "dev", true)
	if !strings.Contains(readFile(t, resolv), "10.0.2.3") {
		t.Fatal("the image's resolv.conf kept")
	}
	writeFiles(t, root, map[string]string{"run/stub.conf": "nameserver 127.0.0.53\n"})
	os.Remove(resolv)
	if err := os.Symlink("../run/stub.conf", resolv); err != nil {
		t.Fatal(err)
	}
	prepareEnvironment(root, "dev", true)
	if fi, err := os.Lstat(resolv); err != nil || fi.Mode()&os.ModeSymlink != 0 || !strings.Contains(readFile(t, resolv), "10.0.2.3") ||
		readFile(t, filepath.Join(root, "run/stub.conf")) != "nameserver 127.0.0.53\n" {
		t.Fatal("a symlinked resolv.conf not replaced by a file, or its target written")
	}
}
