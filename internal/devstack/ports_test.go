package devstack

import (
	"net"
	"strconv"
	"testing"
)

// The stack's ports lie below the ephemeral range, where no outgoing connection takes
// them, and nobody listens on them.
func TestFreeAddressesLieBelowTheEphemeralPorts(t *testing.T) {
	_, high, ok := portsBelowEphemeral()
	if !ok {
		t.Skip("no ip_local_port_range here")
	}
	for _, address := range []string{FreeAddress(), FreeUDPAddress()} {
		_, port, err := net.SplitHostPort(address)
		if err != nil {
			t.Fatal(err)
		}
		if n, _ := strconv.Atoi(port); n < lowestChosenPort || n > high {
			t.Errorf("%s: port outside %d–%d", address, lowestChosenPort, high)
		}
	}
	l, err := net.Listen("tcp", FreeAddress())
	if err != nil {
		t.Fatalf("the free address is taken: %v", err)
	}
	_ = l.Close()
}
