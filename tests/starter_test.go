package tests

import (
	"net"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// A starter whose address is taken exits non-zero with the bind error and the setting
// that moves it, and never claims to listen.
func TestStarterWithItsAddressTakenExitsWithTheBindError(t *testing.T) {
	t.Parallel()
	occupant, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = occupant.Close() }()
	address := occupant.Addr().String()
	cmd := exec.Command(filepath.Join(xsoc.Bin, "starter"))
	cmd.Env = append(append([]string{}, xsoc.Env...), "XSOC_LISTEN="+address)
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("the starter ran on a taken address:\n%s", out)
	}
	for _, want := range []string{"listen tcp " + address + ": bind: address already in use", "XSOC_LISTEN"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(string(out), "starter listening") {
		t.Errorf("the starter said it listened before its bind failed:\n%s", out)
	}
}
